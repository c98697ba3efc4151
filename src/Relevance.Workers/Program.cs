using Relevance.Data;
using Relevance.Hosting;
using Relevance.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddRelevanceData();
builder.AddRelevanceStages();
builder.AddRelevanceBus();

var app = builder.Build();
app.MapRelevanceHealthChecks();
app.Run();
