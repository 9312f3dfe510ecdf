#if !NET
using System;
using System.IO;
using System.Reflection;

namespace ApimDr.LoadContext
{
    /// <summary>
    /// Windows PowerShell 5.1 has no load contexts. Best effort: answer only requests that come from
    /// ApimDr's own assemblies (or for the engine itself), from our own Dependencies/ folder.
    /// </summary>
    internal static class DesktopResolver
    {
        internal static Assembly? Resolve(object? sender, ResolveEventArgs args)
        {
            var name = new AssemblyName(args.Name);
            bool forEngine = string.Equals(name.Name, ModuleInitializer.EngineAssemblyName, StringComparison.Ordinal);
            bool fromUs = args.RequestingAssembly != null && IsOurs(args.RequestingAssembly);
            if (!forEngine && !fromUs) return null;
            string path = Path.GetFullPath(Path.Combine(ModuleInitializer.DependencyDirectory, name.Name + ".dll"));
            return File.Exists(path) ? Assembly.LoadFrom(path) : null;
        }

        private static bool IsOurs(Assembly assembly)
        {
            string? location = assembly.IsDynamic ? null : assembly.Location;
            if (string.IsNullOrEmpty(location)) return false;
            string deps = Path.GetFullPath(ModuleInitializer.DependencyDirectory);
            return location!.StartsWith(deps, StringComparison.OrdinalIgnoreCase)
                || string.Equals(assembly.GetName().Name, "ApimDr", StringComparison.Ordinal);
        }
    }
}
#endif
