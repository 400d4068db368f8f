package dev.cairn.core.internal;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.representer.Representer;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * Internal: the layered sources of a daemon's configuration, read in order — a YAML file, then
 * environment variables ({@code <envPrefix>KEY_NAME}), then system properties
 * ({@code -D<propertyPrefix>key.name}), then {@code --set key=value} flags — each overriding the
 * one before, an empty value taking back what an earlier source set. Every value stays the text it
 * was written as (the daemon's config class parses it and names the key and source when it is
 * wrong); an unknown key fails at once with a "did you mean". Used by the shipper, the puller and
 * the query server, so their files behave alike. Not a stable API.
 *
 * <p>SnakeYAML is an optional dependency of trace-core: only the daemons, which declare it, load
 * this class; applications never do.
 *
 * <pre>{@code
 * ConfigSources s = new ConfigSources(KEYS, "CAIRN_UI_", "cairn.ui.", ConfigException::new);
 * s.readFile(path); s.readEnv(System.getenv()); s.readProperties(props); s.readSets(sets);
 * Map<String, ConfigSources.Raw> values = s.values();
 * }</pre>
 */
public final class ConfigSources {
  /** Where a value was set; relative paths in it resolve against {@code baseDir}. */
  public record Source(String description, Path baseDir) {}

  /** A value as written: a string, or from a YAML list (where allowed) a list of strings. */
  public record Raw(Object value, Source source) {}

  /** Makes the config class's own exception: {@code key (source): problem}. */
  @FunctionalInterface
  public interface Problem {
    RuntimeException of(String key, String source, String problem);
  }

  /** Turns the items of a YAML list under {@code key} into strings, or throws via {@code problem}. */
  @FunctionalInterface
  public interface ListItems {
    List<String> of(String key, List<?> items, Source source, Problem problem);
  }

  private final List<String> keys;
  private final String envPrefix;
  private final String propertyPrefix;
  private final Problem problem;
  private final Map<String, ListItems> listKeys = new LinkedHashMap<>();
  private final Map<String, Raw> values = new LinkedHashMap<>();
  private final Path cwd = Path.of("").toAbsolutePath();

  public ConfigSources(List<String> keys, String envPrefix, String propertyPrefix, Problem problem) {
    this.keys = List.copyOf(keys);
    this.envPrefix = envPrefix;
    this.propertyPrefix = propertyPrefix;
    this.problem = problem;
  }

  /** Lets {@code key} take a YAML list, whose items {@code items} turns into strings. */
  public ConfigSources listKey(String key, ListItems items) {
    listKeys.put(key, items);
    return this;
  }

  /** A YAML list's items when each must be a plain value. */
  public static List<String> plainItems(String key, List<?> items, Source source, Problem problem) {
    List<String> out = new ArrayList<>();
    for (Object item : items) {
      if (!(item instanceof String s)) {
        throw problem.of(key, source.description(), "list items must be plain values");
      }
      out.add(s);
    }
    return out;
  }

  /** The environment variable of {@code key}: dots become underscores, upper case. */
  public static String envName(String envPrefix, String key) {
    return envPrefix + key.replace('.', '_').toUpperCase(Locale.ROOT);
  }

  /** The values read so far, by key, in the order first set. */
  public Map<String, Raw> values() {
    return values;
  }

  public void readFile(Path file) {
    Path abs = file.toAbsolutePath().normalize();
    Object doc;
    try (Reader r = Files.newBufferedReader(abs, UTF_8)) {
      doc = yaml().load(r);
    } catch (NoSuchFileException e) {
      throw problem.of("--config", "", "configuration file " + abs + " does not exist");
    } catch (IOException e) {
      throw problem.of("--config", "", "cannot read " + abs + ": " + e);
    } catch (YAMLException e) {
      // SnakeYAML's messages carry line and column; a refused type tag lands here too.
      throw problem.of("--config", "", abs + " is not valid YAML: " + e.getMessage());
    }
    if (doc == null) {
      return;
    }
    if (!(doc instanceof Map<?, ?> map)) {
      throw problem.of("--config", "", abs + " must be a mapping of keys to values");
    }
    Source source = new Source(abs.toString(), abs.getParent());
    Map<String, Object> flat = new LinkedHashMap<>();
    flatten("", map, flat, source);
    flat.forEach((k, v) -> put(k, v, source));
  }

  public void readEnv(Map<String, String> env) {
    Map<String, String> byEnv = new LinkedHashMap<>();
    for (String key : keys) {
      byEnv.put(envName(envPrefix, key), key);
    }
    // Sorted, so that with several bad variables the same one is reported every time.
    for (String var : new TreeSet<>(env.keySet())) {
      if (!var.startsWith(envPrefix)) {
        continue;
      }
      String key = byEnv.get(var);
      Source source = new Source("environment variable " + var, cwd);
      if (key == null) {
        String asKey = var.substring(envPrefix.length()).toLowerCase(Locale.ROOT).replace('_', '.');
        throw unknown(asKey, source, true);
      }
      put(key, env.get(var), source);
    }
  }

  public void readProperties(Map<String, String> props) {
    for (String prop : new TreeSet<>(props.keySet())) {
      if (prop.startsWith(propertyPrefix)) {
        put(prop.substring(propertyPrefix.length()), props.get(prop), new Source("system property -D" + prop, cwd));
      }
    }
  }

  public void readSets(List<String> sets) {
    for (String set : sets) {
      int eq = set.indexOf('=');
      if (eq <= 0) {
        throw problem.of("--set", "", "\"" + redactIfSecret(set) + "\" is not key=value");
      }
      String key = set.substring(0, eq).strip();
      put(key, set.substring(eq + 1), new Source("--set " + key, cwd));
    }
  }

  /**
   * A YAML reader that builds only maps, lists and strings: SafeConstructor refuses arbitrary
   * types, and without implicit resolvers every plain scalar stays the string it was written as,
   * so YAML 1.1's surprises ({@code on} as true, {@code 1:30} as 90, {@code 0750} as octal) never
   * reach a key; the typed parsers read the text.
   */
  private static Yaml yaml() {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    options.setAllowRecursiveKeys(false);
    options.setMaxAliasesForCollections(50);
    Resolver stringsOnly = new Resolver() {
      @Override
      protected void addImplicitResolvers() {}
    };
    DumperOptions dumper = new DumperOptions();
    return new Yaml(new SafeConstructor(options), new Representer(dumper), dumper, options, stringsOnly);
  }

  private void flatten(String prefix, Map<?, ?> map, Map<String, Object> out, Source source) {
    for (Map.Entry<?, ?> e : map.entrySet()) {
      if (!(e.getKey() instanceof String k) || k.isBlank()) {
        throw problem.of(prefix + e.getKey(), source.description(), "keys must be names");
      }
      String key = prefix + k;
      Object v = e.getValue();
      if (v instanceof Map<?, ?> nested) {
        flatten(key + ".", nested, out, source);
        continue;
      }
      if (v == null) {
        v = "";
      } else if (v instanceof List<?> list) {
        ListItems items = listKeys.get(key);
        if (items == null) {
          throw problem.of(key, source.description(), "takes one value, not a list");
        }
        v = items.of(key, list, source, problem);
      } else if (!(v instanceof String)) {
        throw problem.of(key, source.description(), "must be a plain value, not " + v.getClass().getSimpleName());
      }
      if (out.put(key, v) != null) {
        throw problem.of(key, source.description(), "is set twice");
      }
    }
  }

  private void put(String key, Object value, Source source) {
    if (!keys.contains(key)) {
      throw unknown(key, source, source.description().startsWith("environment"));
    }
    if (value instanceof String s && s.isBlank()) {
      values.remove(key);
    } else {
      values.put(key, new Raw(value, source));
    }
  }

  private RuntimeException unknown(String key, Source source, boolean fromEnv) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String k : keys) {
      int d = ConfigValues.distance(key, k);
      if (d < bestDistance) {
        best = k;
        bestDistance = d;
      }
    }
    String hint = bestDistance <= Math.max(2, key.length() / 4)
        ? "; did you mean " + (fromEnv ? envName(envPrefix, best) : best) + "?"
        : "; known keys: " + String.join(", ", keys);
    return problem.of(key, source.description(), "unknown key" + hint);
  }

  /** A {@code --set} that is not key=value is echoed, but never a secret's or password's value. */
  private static String redactIfSecret(String set) {
    String lower = set.toLowerCase(Locale.ROOT);
    for (String word : List.of("secret", "password")) {
      int at = lower.indexOf(word);
      if (at >= 0) {
        return set.substring(0, at + word.length()) + "...";
      }
    }
    return set;
  }
}
