using System;
using System.Management.Automation;
using System.Text;
using ApimDr.Engine.Errors;

namespace ApimDr
{
    /// <summary>Maps engine exceptions to ErrorRecords with stable ErrorIds (see docs/design.md, Errors).</summary>
    internal static class ErrorRecords
    {
        public static ErrorRecord From(Exception exception, object? target)
        {
            if (exception is ApimDrException apim)
            {
                var record = new ErrorRecord(apim, apim.ErrorId, MapCategory(apim.Category), apim.Target ?? target);
                string details = Describe(apim);
                if (details.Length > 0)
                {
                    record.ErrorDetails = new ErrorDetails(apim.Message + " " + details);
                }
                return record;
            }
            if (exception is PipelineStoppedException || exception is OperationCanceledException)
            {
                return new ErrorRecord(exception, ErrorIds.OperationStopped, ErrorCategory.OperationStopped, target);
            }
            return new ErrorRecord(exception, ErrorIds.UnexpectedError, ErrorCategory.NotSpecified, target);
        }

        private static ErrorCategory MapCategory(ApimErrorCategory category)
            => Enum.TryParse(category.ToString(), out ErrorCategory mapped) ? mapped : ErrorCategory.NotSpecified;

        private static string Describe(ApimDrException e)
        {
            var text = new StringBuilder();
            Append(text, "HTTP", e.HttpStatus?.ToString());
            Append(text, "code", e.ArmCode);
            Append(text, "target", e.ArmTarget);
            Append(text, "x-ms-request-id", e.RequestId);
            Append(text, "x-ms-correlation-request-id", e.CorrelationId);
            return text.Length == 0 ? string.Empty : "(" + text + ")";
        }

        private static void Append(StringBuilder text, string name, string? value)
        {
            if (string.IsNullOrEmpty(value)) return;
            if (text.Length > 0) text.Append(", ");
            text.Append(name).Append(": ").Append(value);
        }
    }
}
