using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Relevance.Data.Migrations
{
    /// <inheritdoc />
    public partial class AddTrainingFiles : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "files_json",
                table: "training_requests",
                type: "text",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "files_json",
                table: "training_requests");
        }
    }
}
