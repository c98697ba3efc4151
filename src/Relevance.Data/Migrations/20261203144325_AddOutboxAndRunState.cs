using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Relevance.Data.Migrations
{
    /// <inheritdoc />
    public partial class AddOutboxAndRunState : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "state",
                table: "runs",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            // Runs recorded before the state machine: their state from their status and the gates they passed
            // (gate rows are no longer written; once read here they go).
            migrationBuilder.Sql("""
                UPDATE runs SET state = CASE
                    WHEN status = 1 THEN 5
                    WHEN status = 2 THEN 6
                    WHEN EXISTS (SELECT 1 FROM run_work_items w WHERE w.run_id = runs.id AND w.stage = 'gate' AND w.key = 'report') THEN 4
                    WHEN EXISTS (SELECT 1 FROM run_work_items w WHERE w.run_id = runs.id AND w.stage = 'gate' AND w.key = 'label') THEN 3
                    WHEN EXISTS (SELECT 1 FROM run_work_items w WHERE w.run_id = runs.id AND w.stage = 'gate' AND w.key = 'train') THEN 2
                    WHEN EXISTS (SELECT 1 FROM run_work_items w WHERE w.run_id = runs.id AND w.stage = 'gate' AND w.key = 'synthesis-dispatched') THEN 1
                    ELSE 0 END;
                DELETE FROM run_work_items WHERE stage = 'gate';
                """);

            migrationBuilder.CreateTable(
                name: "outbox_messages",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    message_type = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    payload_json = table.Column<string>(type: "text", nullable: false),
                    trace_parent = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    claimed_by = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    claimed_until = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    attempts = table.Column<int>(type: "integer", nullable: false),
                    last_error = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_outbox_messages", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_outbox_messages_claimed_until",
                table: "outbox_messages",
                column: "claimed_until");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "outbox_messages");

            migrationBuilder.DropColumn(
                name: "state",
                table: "runs");
        }
    }
}
