using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;

namespace ApimDr.LoadContext
{
    /// <summary>
    /// Runs on Import-Module. Registers a resolver that answers ONLY for ApimDr.Engine, loading it (and,
    /// through it, Azure.Core/Azure.Identity/Azure.Storage.Blobs/MSAL) from Dependencies/ in isolation:
    /// a private AssemblyLoadContext on PowerShell 7, an AssemblyResolve scoped to our own requests on 5.1.
    /// Nothing from Azure is loaded at import; the engine loads on the first cmdlet call.
    /// </summary>
    public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
    {
        internal const string EngineAssemblyName = "ApimDr.Engine";

        /// <summary>ApimOperation/ApimBackup: loaded by the manifest (RequiredAssemblies) into the default context, never isolated.</summary>
        internal const string ModelAssemblyName = "ApimDr.Model";

        internal static string DependencyDirectory { get; } = Path.Combine(
            Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location) ?? ".",
#if NET
            "Dependencies");
#else
            "..", "Dependencies");
#endif

        public void OnImport()
        {
#if NET
            System.Runtime.Loader.AssemblyLoadContext.Default.Resolving += EngineLoadContext.ResolveFromDefault;
#else
            AppDomain.CurrentDomain.AssemblyResolve += DesktopResolver.Resolve;
#endif
        }

        public void OnRemove(PSModuleInfo module)
        {
#if NET
            System.Runtime.Loader.AssemblyLoadContext.Default.Resolving -= EngineLoadContext.ResolveFromDefault;
#else
            AppDomain.CurrentDomain.AssemblyResolve -= DesktopResolver.Resolve;
#endif
        }
    }
}
