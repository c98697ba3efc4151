using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Relevance.Data.Migrations
{
    /// <inheritdoc />
    public partial class AddSearchEvaluation : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "search_evaluations",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "text", nullable: false),
                    labeler = table.Column<string>(type: "text", nullable: false),
                    labeler_detail = table.Column<string>(type: "text", nullable: true),
                    submission_id = table.Column<Guid>(type: "uuid", nullable: true),
                    system = table.Column<string>(type: "text", nullable: true),
                    depth = table.Column<int>(type: "integer", nullable: false),
                    runs = table.Column<int>(type: "integer", nullable: false),
                    queries = table.Column<int>(type: "integer", nullable: false),
                    baseline = table.Column<string>(type: "text", nullable: true),
                    pooled = table.Column<int>(type: "integer", nullable: false),
                    human_grades = table.Column<int>(type: "integer", nullable: false),
                    stored_grades = table.Column<int>(type: "integer", nullable: false),
                    new_grades = table.Column<int>(type: "integer", nullable: false),
                    unjudged = table.Column<int>(type: "integer", nullable: false),
                    cost_usd = table.Column<decimal>(type: "numeric(18,8)", precision: 18, scale: 8, nullable: false),
                    seconds = table.Column<double>(type: "double precision", nullable: false),
                    result_json = table.Column<string>(type: "text", nullable: false),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_search_evaluations", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "search_run_results",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    evaluation_id = table.Column<Guid>(type: "uuid", nullable: false),
                    system = table.Column<string>(type: "text", nullable: false),
                    run_name = table.Column<string>(type: "text", nullable: false),
                    labeler = table.Column<string>(type: "text", nullable: false),
                    depth = table.Column<int>(type: "integer", nullable: false),
                    queries = table.Column<int>(type: "integer", nullable: false),
                    ndcg10 = table.Column<double>(type: "double precision", nullable: false),
                    ndcg10_low = table.Column<double>(type: "double precision", nullable: true),
                    ndcg10_high = table.Column<double>(type: "double precision", nullable: true),
                    measures_json = table.Column<string>(type: "text", nullable: false),
                    baseline = table.Column<string>(type: "text", nullable: true),
                    baseline_delta = table.Column<double>(type: "double precision", nullable: true),
                    p_value = table.Column<double>(type: "double precision", nullable: true),
                    regressed = table.Column<bool>(type: "boolean", nullable: false),
                    run_text = table.Column<string>(type: "text", nullable: true),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_search_run_results", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_labels_model_version_id_qid_pid",
                table: "labels",
                columns: new[] { "model_version_id", "qid", "pid" });

            migrationBuilder.CreateIndex(
                name: "ix_search_evaluations_created_at",
                table: "search_evaluations",
                column: "created_at");

            migrationBuilder.CreateIndex(
                name: "ix_search_evaluations_submission_id",
                table: "search_evaluations",
                column: "submission_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_search_run_results_evaluation_id_run_name",
                table: "search_run_results",
                columns: new[] { "evaluation_id", "run_name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_search_run_results_system_created_at",
                table: "search_run_results",
                columns: new[] { "system", "created_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "search_evaluations");

            migrationBuilder.DropTable(
                name: "search_run_results");

            migrationBuilder.DropIndex(
                name: "ix_labels_model_version_id_qid_pid",
                table: "labels");
        }
    }
}
