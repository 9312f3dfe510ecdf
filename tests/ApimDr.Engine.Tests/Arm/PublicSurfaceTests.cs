using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Credentials;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Tests.Fakes;
using Azure.Core.Pipeline;
using Xunit;
using static ApimDr.Engine.Tests.Fakes.ArmTestKit;

namespace ApimDr.Engine.Tests.Arm
{
    public class PublicSurfaceTests
    {
        /// <summary>The cmdlet layer lives in another load context: no Azure.* type may cross in a public signature.</summary>
        [Fact]
        public void NoPublicSignatureExposesAnAzureType()
        {
            var offenders = typeof(ArmClient).Assembly.GetExportedTypes()
                .SelectMany(t => t.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly).Select(m => (Type: t, Member: m)))
                .Where(x => SignatureTypes(x.Member).Any(IsAzure))
                .Select(x => x.Type.Name + "." + x.Member.Name)
                .ToList();
            Assert.Empty(offenders);
        }

        private static Type[] SignatureTypes(MemberInfo member) => member switch
        {
            PropertyInfo p => new[] { p.PropertyType },
            FieldInfo f => new[] { f.FieldType },
            MethodInfo m => m.GetParameters().Select(p => p.ParameterType).Append(m.ReturnType).ToArray(),
            ConstructorInfo c => c.GetParameters().Select(p => p.ParameterType).ToArray(),
            EventInfo e => new[] { e.EventHandlerType! },
            _ => Array.Empty<Type>(),
        };

        private static bool IsAzure(Type type)
            => (type.Namespace?.StartsWith("Azure", StringComparison.Ordinal) ?? false)
               || (type.IsGenericType && type.GetGenericArguments().Any(IsAzure))
               || (type.HasElementType && IsAzure(type.GetElementType()!));

        /// <summary>Through the real HttpClientTransport, the poll URL reaches the wire byte for byte.</summary>
        [Fact]
        public async Task ThePollUrlReachesTheWireByteForByte()
        {
            var clock = new VirtualClock();
            var handler = new RecordingHandler(Location());
            using ArmClient client = Client(clock, null!, o => o.Transport = new HttpClientTransport(new HttpClient(handler)));

            ApimOperation op = await Run(clock, client.StartBackupAsync(Service(), KeyRequest(), default));
            await WaitAsync(clock, client, new[] { op }, new Recorder());

            Assert.Equal(ApimOperation.Succeeded, op.Status);
            Assert.Equal(2, handler.Seen.Count);
            Assert.Equal(Location(), handler.Seen[1]);
        }

        [Fact]
        public async Task ATokenProviderFailureIsAnAuthenticationFailure()
        {
            var clock = new VirtualClock();
            var transport = new FakeArmTransport(clock, r => Accepted(Location()));
            using ArmClient client = Client(clock, transport, o => o.Credentials = new CredentialSource
            {
                TokenProvider = (scopes, ct) => throw new InvalidOperationException("Run Connect-AzAccount to login."),
            });

            var error = await Assert.ThrowsAsync<ApimDrException>(() => Run(clock, client.StartBackupAsync(Service(), KeyRequest(), default)));

            Assert.Equal(ErrorIds.AuthenticationFailed, error.ErrorId);
            Assert.Contains("Connect-AzAccount", error.Message);
            Assert.Empty(transport.Requests);
        }

        private sealed class RecordingHandler : HttpMessageHandler
        {
            private readonly string _location;

            public RecordingHandler(string location) => _location = location;

            public System.Collections.Generic.List<string> Seen { get; } = new();

            protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                lock (Seen) Seen.Add(request.RequestUri!.GetLeftPart(UriPartial.Authority) + request.RequestUri.PathAndQuery);
                var response = new HttpResponseMessage(request.Method == HttpMethod.Post ? HttpStatusCode.Accepted : HttpStatusCode.OK)
                {
                    Content = new StringContent(request.Method == HttpMethod.Post ? "" : ServiceJson()),
                };
                if (request.Method == HttpMethod.Post)
                {
                    response.Headers.TryAddWithoutValidation("Location", _location);
                    response.Headers.TryAddWithoutValidation("Retry-After", "60");
                }
                return Task.FromResult(response);
            }
        }
    }
}
