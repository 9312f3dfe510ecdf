#if NET
using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;

namespace ApimDr.LoadContext
{
    /// <summary>
    /// The private load context holding ApimDr.Engine and every dependency shipped in Dependencies/.
    /// Framework assemblies (in TRUSTED_PLATFORM_ASSEMBLIES, at least the requested version) come from
    /// the default context so BCL types stay the same on both sides; anything else we ship is loaded
    /// here, side by side with whatever copy Az.Accounts put in the default context.
    /// </summary>
    internal sealed class EngineLoadContext : AssemblyLoadContext
    {
        private static readonly Lazy<EngineLoadContext> Instance =
            new Lazy<EngineLoadContext>(() => new EngineLoadContext(ModuleInitializer.DependencyDirectory));

        private static readonly Lazy<Dictionary<string, string>> PlatformAssemblies = new Lazy<Dictionary<string, string>>(ReadPlatformAssemblies);

        private readonly string _directory;

        private EngineLoadContext(string directory)
            : base("ApimDr", isCollectible: false)
        {
            _directory = directory;
        }

        /// <summary>The default context's Resolving handler: answers for the engine only.</summary>
        internal static Assembly? ResolveFromDefault(AssemblyLoadContext context, AssemblyName name)
        {
            if (!string.Equals(name.Name, ModuleInitializer.EngineAssemblyName, StringComparison.Ordinal))
            {
                return null;
            }
            return Instance.Value.LoadFromAssemblyName(name);
        }

        protected override Assembly? Load(AssemblyName name)
        {
            // The public record types are shared with the cmdlets: always the default context's copy.
            if (name.Name == null || name.Name == ModuleInitializer.ModelAssemblyName) return null;
            string path = Path.Combine(_directory, name.Name + ".dll");
            if (!File.Exists(path)) return null;
            if (IsSatisfiedByPlatform(name)) return null;
            return LoadFromAssemblyPath(path);
        }

        private static bool IsSatisfiedByPlatform(AssemblyName name)
        {
            if (!PlatformAssemblies.Value.TryGetValue(name.Name!, out string? platformPath)) return false;
            if (name.Version == null) return true;
            try
            {
                Version? platformVersion = AssemblyName.GetAssemblyName(platformPath).Version;
                return platformVersion != null && platformVersion >= name.Version;
            }
            catch (Exception)
            {
                return false;
            }
        }

        private static Dictionary<string, string> ReadPlatformAssemblies()
        {
            var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            if (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") is string tpa)
            {
                foreach (string path in tpa.Split(Path.PathSeparator))
                {
                    if (path.Length == 0) continue;
                    map[Path.GetFileNameWithoutExtension(path)] = path;
                }
            }
            return map;
        }
    }
}
#endif
