using System.Reflection;
using System.Runtime.Loader;

namespace DataForge.Stages;

/// <summary>
/// Loads stage libraries (plugins) that a pipeline names. Each plugin gets its own
/// <see cref="AssemblyLoadContext"/>: DataForge and Apache Arrow assemblies always come from the host, so a
/// plugin's stages derive from the very <see cref="Stage"/> types the executor knows, while the plugin's other
/// dependencies are resolved next to it (through its <c>.deps.json</c>). Nothing is loaded that was not named.
/// </summary>
public static class StagePlugins
{
    static readonly Dictionary<string, Assembly> Loaded = new(StringComparer.Ordinal);

    /// <summary>
    /// Loads the plugin assembly at <paramref name="path"/> (once per process and full path).
    /// Throws <see cref="PluginException"/> saying why it cannot be used.
    /// </summary>
    public static Assembly Load(string path)
    {
        string full = Path.GetFullPath(path);
        lock (Loaded)
        {
            if (Loaded.TryGetValue(full, out var known)) return known;
            if (Directory.Exists(full)) throw new PluginException($"{full} is a directory; expected the path of a stage library (.dll)");
            if (!File.Exists(full)) throw new PluginException($"plugin not found: {full}");
            Assembly assembly;
            try
            {
                var context = new PluginLoadContext(full);
                assembly = context.LoadFromAssemblyPath(full);
            }
            catch (BadImageFormatException)
            {
                throw new PluginException($"{full} is not a .NET assembly");
            }
            catch (Exception ex) when (ex is FileLoadException or IOException or UnauthorizedAccessException)
            {
                throw new PluginException($"could not load {full}: {ex.Message}");
            }
            Loaded[full] = assembly;
            return assembly;
        }
    }

    /// <summary>The stage classes (<see cref="StageAttribute"/>) an assembly declares, in a stable order.</summary>
    public static IReadOnlyList<(Type StageType, StageAttribute Attribute)> StageTypes(Assembly assembly)
    {
        Type[] types;
        try { types = assembly.GetTypes(); }
        catch (ReflectionTypeLoadException ex)
        {
            // A missing dependency, or a plugin built against another DataForge: name the first type that failed.
            var cause = ex.LoaderExceptions.FirstOrDefault(e => e is not null);
            throw new PluginException($"could not load the types of {assembly.GetName().Name}: {cause?.Message ?? ex.Message}");
        }
        return types.Where(t => !t.IsAbstract && t.IsPublic)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (t, t.GetCustomAttribute<StageAttribute>()))
            .Where(x => x.Item2 is not null)
            .Select(x => (x.t, x.Item2!))
            .ToList();
    }

    sealed class PluginLoadContext(string pluginPath) : AssemblyLoadContext($"dataforge-plugin:{Path.GetFileName(pluginPath)}", isCollectible: false)
    {
        readonly AssemblyDependencyResolver _resolver = new(pluginPath);

        protected override Assembly? Load(AssemblyName name)
        {
            // Shared contract: a second copy of DataForge or Arrow would make the plugin's Stage a different type.
            if (IsShared(name.Name)) return null;
            return _resolver.ResolveAssemblyToPath(name) is { } path ? LoadFromAssemblyPath(path) : null;
        }

        protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
            => _resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } path ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;

        static bool IsShared(string? name) => name is not null
            && (name.StartsWith("DataForge.", StringComparison.Ordinal) || name == "dataforge" || name.StartsWith("Apache.Arrow", StringComparison.Ordinal));
    }
}

/// <summary>A plugin could not be used: not found, not loadable, or declaring a stage type that is already taken.</summary>
public sealed class PluginException(string message) : Exception(message);
