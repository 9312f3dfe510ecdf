using System;
using Azure.Core;
using Azure.Core.Pipeline;

namespace ApimDr.Engine.Arm
{
    /// <summary>
    /// Stamps <c>x-ms-correlation-request-id</c>: one per operation (start and every poll share it)
    /// so a support ticket can name the whole conversation. Azure.Core's own ClientRequestIdPolicy
    /// already sends a fresh <c>x-ms-client-request-id</c> per request.
    /// </summary>
    internal sealed class RequestIdsPolicy : HttpPipelineSynchronousPolicy
    {
        public const string CorrelationHeader = "x-ms-correlation-request-id";
        private const string CorrelationProperty = "ApimDr.CorrelationId";

        public static void SetCorrelationId(HttpMessage message, string correlationId) => message.SetProperty(CorrelationProperty, correlationId);

        public override void OnSendingRequest(HttpMessage message)
        {
            string id = message.TryGetProperty(CorrelationProperty, out object? value) && value is string text && text.Length > 0
                ? text
                : Guid.NewGuid().ToString();
            message.Request.Headers.SetValue(CorrelationHeader, id);
        }
    }
}
