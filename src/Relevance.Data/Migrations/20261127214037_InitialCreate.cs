using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Relevance.Data.Migrations
{
    /// <inheritdoc />
    public partial class InitialCreate : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "benchmark_judgments",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    benchmark_set_id = table.Column<Guid>(type: "uuid", nullable: false),
                    qid = table.Column<string>(type: "text", nullable: false),
                    query = table.Column<string>(type: "text", nullable: false),
                    pid = table.Column<string>(type: "text", nullable: false),
                    passage = table.Column<string>(type: "text", nullable: false),
                    grade = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_benchmark_judgments", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "benchmark_sets",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "text", nullable: false),
                    content_hash = table.Column<string>(type: "text", nullable: false),
                    source = table.Column<string>(type: "text", nullable: false),
                    judgments = table.Column<int>(type: "integer", nullable: false),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_benchmark_sets", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "documents",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    external_id = table.Column<string>(type: "text", nullable: false),
                    path = table.Column<string>(type: "text", nullable: false),
                    format = table.Column<string>(type: "text", nullable: false),
                    title = table.Column<string>(type: "text", nullable: true),
                    author = table.Column<string>(type: "text", nullable: true),
                    department = table.Column<string>(type: "text", nullable: true),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    modified_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    content_hash = table.Column<string>(type: "text", nullable: false),
                    metadata_json = table.Column<string>(type: "text", nullable: false),
                    passage_count = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_documents", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "evaluations",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    benchmark_set_id = table.Column<Guid>(type: "uuid", nullable: true),
                    run_id = table.Column<Guid>(type: "uuid", nullable: true),
                    labeler_kind = table.Column<string>(type: "text", nullable: false),
                    labeler = table.Column<string>(type: "text", nullable: false),
                    reference = table.Column<string>(type: "text", nullable: false),
                    primary_metric = table.Column<string>(type: "text", nullable: false),
                    primary_value = table.Column<double>(type: "double precision", nullable: true),
                    metrics_json = table.Column<string>(type: "text", nullable: false),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_evaluations", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "failures",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    run_id = table.Column<Guid>(type: "uuid", nullable: true),
                    stage = table.Column<string>(type: "text", nullable: false),
                    subject = table.Column<string>(type: "text", nullable: false),
                    reason = table.Column<string>(type: "text", nullable: false),
                    detail = table.Column<string>(type: "text", nullable: true),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_failures", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "label_jobs",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "text", nullable: false),
                    model_version_id = table.Column<Guid>(type: "uuid", nullable: false),
                    run_id = table.Column<Guid>(type: "uuid", nullable: true),
                    total = table.Column<int>(type: "integer", nullable: false),
                    completed = table.Column<int>(type: "integer", nullable: false),
                    status = table.Column<int>(type: "integer", nullable: false),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    started_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    completed_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_label_jobs", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "labels",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    job_id = table.Column<Guid>(type: "uuid", nullable: false),
                    qid = table.Column<string>(type: "text", nullable: false),
                    pid = table.Column<string>(type: "text", nullable: false),
                    grade = table.Column<int>(type: "integer", nullable: false),
                    score = table.Column<double>(type: "double precision", nullable: false),
                    model_version_id = table.Column<Guid>(type: "uuid", nullable: false),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_labels", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "llm_cache",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    model = table.Column<string>(type: "text", nullable: false),
                    prompt_version = table.Column<string>(type: "text", nullable: false),
                    input_hash = table.Column<string>(type: "text", nullable: false),
                    response_text = table.Column<string>(type: "text", nullable: false),
                    input_tokens = table.Column<long>(type: "bigint", nullable: false),
                    output_tokens = table.Column<long>(type: "bigint", nullable: false),
                    cost_usd = table.Column<decimal>(type: "numeric(18,8)", precision: 18, scale: 8, nullable: false),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_llm_cache", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "model_versions",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "text", nullable: false),
                    sha256 = table.Column<string>(type: "text", nullable: false),
                    artifact_path = table.Column<string>(type: "text", nullable: false),
                    base_model = table.Column<string>(type: "text", nullable: false),
                    training_request_id = table.Column<Guid>(type: "uuid", nullable: true),
                    status = table.Column<int>(type: "integer", nullable: false),
                    metadata_json = table.Column<string>(type: "text", nullable: false),
                    status_reason = table.Column<string>(type: "text", nullable: true),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    promoted_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_model_versions", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "pairs",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    query_id = table.Column<long>(type: "bigint", nullable: false),
                    passage_id = table.Column<long>(type: "bigint", nullable: false),
                    source = table.Column<string>(type: "text", nullable: false),
                    bm25_rank = table.Column<int>(type: "integer", nullable: true),
                    bm25_score = table.Column<double>(type: "double precision", nullable: true),
                    split = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_pairs", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "passages",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    document_id = table.Column<long>(type: "bigint", nullable: false),
                    ordinal = table.Column<int>(type: "integer", nullable: false),
                    heading = table.Column<string>(type: "text", nullable: true),
                    text = table.Column<string>(type: "text", nullable: false),
                    content_hash = table.Column<string>(type: "text", nullable: false),
                    token_count = table.Column<int>(type: "integer", nullable: false),
                    near_duplicate_of_id = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_passages", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "queries",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    seed_passage_id = table.Column<long>(type: "bigint", nullable: false),
                    text = table.Column<string>(type: "text", nullable: false),
                    text_hash = table.Column<string>(type: "text", nullable: false),
                    kind = table.Column<string>(type: "text", nullable: false),
                    generator = table.Column<string>(type: "text", nullable: false),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_queries", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "run_work_items",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    stage = table.Column<string>(type: "text", nullable: false),
                    key = table.Column<string>(type: "text", nullable: false),
                    message_type = table.Column<string>(type: "text", nullable: true),
                    payload_json = table.Column<string>(type: "text", nullable: true),
                    status = table.Column<int>(type: "integer", nullable: false),
                    reason = table.Column<string>(type: "text", nullable: true),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    completed_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_run_work_items", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "runs",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    corpus_path = table.Column<string>(type: "text", nullable: false),
                    status = table.Column<int>(type: "integer", nullable: false),
                    settings_json = table.Column<string>(type: "text", nullable: false),
                    providers = table.Column<string>(type: "text", nullable: true),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    completed_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_runs", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "teacher_judgments",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    run_id = table.Column<Guid>(type: "uuid", nullable: true),
                    pair_id = table.Column<long>(type: "bigint", nullable: true),
                    qid = table.Column<string>(type: "text", nullable: false),
                    pid = table.Column<string>(type: "text", nullable: false),
                    teacher = table.Column<string>(type: "text", nullable: false),
                    prompt_version = table.Column<string>(type: "text", nullable: false),
                    grade = table.Column<int>(type: "integer", nullable: false),
                    score = table.Column<double>(type: "double precision", nullable: false),
                    distribution_json = table.Column<string>(type: "text", nullable: true),
                    samples = table.Column<int>(type: "integer", nullable: false),
                    input_tokens = table.Column<long>(type: "bigint", nullable: false),
                    output_tokens = table.Column<long>(type: "bigint", nullable: false),
                    cost_usd = table.Column<decimal>(type: "numeric(18,8)", precision: 18, scale: 8, nullable: false),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_teacher_judgments", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "training_requests",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    run_id = table.Column<Guid>(type: "uuid", nullable: true),
                    teacher = table.Column<string>(type: "text", nullable: false),
                    parameters_json = table.Column<string>(type: "text", nullable: false),
                    status = table.Column<int>(type: "integer", nullable: false),
                    claimed_by = table.Column<string>(type: "text", nullable: true),
                    claimed_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    heartbeat_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    progress = table.Column<double>(type: "double precision", nullable: false),
                    checkpoint_path = table.Column<string>(type: "text", nullable: true),
                    model_version_id = table.Column<Guid>(type: "uuid", nullable: true),
                    attempts = table.Column<int>(type: "integer", nullable: false),
                    error = table.Column<string>(type: "text", nullable: true),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    completed_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_training_requests", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_benchmark_judgments_benchmark_set_id_qid_pid",
                table: "benchmark_judgments",
                columns: new[] { "benchmark_set_id", "qid", "pid" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_benchmark_sets_content_hash",
                table: "benchmark_sets",
                column: "content_hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_benchmark_sets_name",
                table: "benchmark_sets",
                column: "name");

            migrationBuilder.CreateIndex(
                name: "ix_documents_run_id_external_id",
                table: "documents",
                columns: new[] { "run_id", "external_id" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_evaluations_labeler_kind_labeler",
                table: "evaluations",
                columns: new[] { "labeler_kind", "labeler" });

            migrationBuilder.CreateIndex(
                name: "ix_failures_run_id_stage",
                table: "failures",
                columns: new[] { "run_id", "stage" });

            migrationBuilder.CreateIndex(
                name: "ix_labels_job_id_qid_pid",
                table: "labels",
                columns: new[] { "job_id", "qid", "pid" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_llm_cache_model_prompt_version_input_hash",
                table: "llm_cache",
                columns: new[] { "model", "prompt_version", "input_hash" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_model_versions_sha256",
                table: "model_versions",
                column: "sha256",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_model_versions_training_request_id",
                table: "model_versions",
                column: "training_request_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_pairs_query_id_passage_id",
                table: "pairs",
                columns: new[] { "query_id", "passage_id" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_pairs_run_id",
                table: "pairs",
                column: "run_id");

            migrationBuilder.CreateIndex(
                name: "ix_passages_document_id",
                table: "passages",
                column: "document_id");

            migrationBuilder.CreateIndex(
                name: "ix_passages_run_id_content_hash",
                table: "passages",
                columns: new[] { "run_id", "content_hash" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_queries_run_id_text_hash",
                table: "queries",
                columns: new[] { "run_id", "text_hash" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_queries_seed_passage_id",
                table: "queries",
                column: "seed_passage_id");

            migrationBuilder.CreateIndex(
                name: "ix_run_work_items_run_id_stage_key",
                table: "run_work_items",
                columns: new[] { "run_id", "stage", "key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_run_work_items_run_id_status",
                table: "run_work_items",
                columns: new[] { "run_id", "status" });

            migrationBuilder.CreateIndex(
                name: "ix_teacher_judgments_pair_id",
                table: "teacher_judgments",
                column: "pair_id");

            migrationBuilder.CreateIndex(
                name: "ix_teacher_judgments_teacher_prompt_version_qid_pid_run_id",
                table: "teacher_judgments",
                columns: new[] { "teacher", "prompt_version", "qid", "pid", "run_id" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_training_requests_status",
                table: "training_requests",
                column: "status");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "benchmark_judgments");

            migrationBuilder.DropTable(
                name: "benchmark_sets");

            migrationBuilder.DropTable(
                name: "documents");

            migrationBuilder.DropTable(
                name: "evaluations");

            migrationBuilder.DropTable(
                name: "failures");

            migrationBuilder.DropTable(
                name: "label_jobs");

            migrationBuilder.DropTable(
                name: "labels");

            migrationBuilder.DropTable(
                name: "llm_cache");

            migrationBuilder.DropTable(
                name: "model_versions");

            migrationBuilder.DropTable(
                name: "pairs");

            migrationBuilder.DropTable(
                name: "passages");

            migrationBuilder.DropTable(
                name: "queries");

            migrationBuilder.DropTable(
                name: "run_work_items");

            migrationBuilder.DropTable(
                name: "runs");

            migrationBuilder.DropTable(
                name: "teacher_judgments");

            migrationBuilder.DropTable(
                name: "training_requests");
        }
    }
}
