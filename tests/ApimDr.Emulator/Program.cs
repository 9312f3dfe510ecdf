// Placeholder entry point; the emulator is built in its own issue.
var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.Run();
