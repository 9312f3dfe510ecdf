using System;

namespace ApimDr.Engine.Errors
{
    /// <summary>
    /// The one exception type the engine throws to the cmdlet layer. It carries a stable ErrorId
    /// (the ErrorRecord's FullyQualifiedErrorId), a category, the thing at fault and, for service
    /// errors, the HTTP status, ARM error code and the request/correlation ids a support ticket needs.
    /// Never put a secret in any of these.
    /// </summary>
    public sealed class ApimDrException : Exception
    {
        public ApimDrException(string errorId, ApimErrorCategory category, string message, object? target = null, Exception? inner = null)
            : base(message, inner)
        {
            ErrorId = errorId;
            Category = category;
            Target = target;
        }

        public string ErrorId { get; }
        public ApimErrorCategory Category { get; }
        public object? Target { get; }
        public int? HttpStatus { get; set; }
        public string? ArmCode { get; set; }
        public string? ArmTarget { get; set; }
        public string? RequestId { get; set; }
        public string? CorrelationId { get; set; }

        /// <summary>The same failure told differently (more context, resume advice): id, codes and request ids carried over, this one as the inner exception.</summary>
        internal ApimDrException Rephrase(string message, string? correlationId = null)
            => new ApimDrException(ErrorId, Category, message, Target, this)
            {
                HttpStatus = HttpStatus,
                ArmCode = ArmCode,
                ArmTarget = ArmTarget,
                RequestId = RequestId,
                CorrelationId = correlationId ?? CorrelationId,
            };

        internal static ApimDrException InvalidArgument(string errorId, string message, object? target)
            => new ApimDrException(errorId, ApimErrorCategory.InvalidArgument, message, target);
    }
}
