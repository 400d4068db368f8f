package dev.cairn.launcher;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import dev.cairn.core.internal.ConfigValues;
import dev.cairn.puller.Puller;
import dev.cairn.puller.PullerConfig;
import dev.cairn.shipper.Shipper;
import dev.cairn.shipper.ShipperConfig;
import dev.cairn.store.EmbeddedSpanStore;
import dev.cairn.store.SpanReader;
import dev.cairn.store.StoreException;
import dev.cairn.ui.QueryServer;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * One machine's Cairn in one JVM: a shipper tailing {@code <home>/spans}, a puller pulling from it
 * over loopback, the embedded store the puller writes, and the query server (UI and API) reading
 * it, with the shipper's, the puller's and the store's health on its status page. The layout of
 * {@code <home>}:
 *
 * <pre>
 * spans/&lt;app&gt;/       applications' &lt;SpanFile directory=...&gt; (every *.cairn below spans/ is shipped)
 * journal/primary     the shipper's journal, journal/replica its replica, journal/state its checkpoint
 * store/              the embedded store
 * puller-state/       the puller's cursors
 * pull.secret         the shipper/puller secret, generated on first start (owner-only)
 * </pre>
 *
 * <p>The shipper and puller are configured by their own loaders from generated {@code --set}
 * lines (then the caller's), never from the environment: an all-in-one on a host that also runs a
 * standalone shipper must not pick up that shipper's {@code CAIRN_SHIPPER_*} settings.
 */
final class AllInOne implements Closeable {
  private static final Logger LOG = LogManager.getLogger(AllInOne.class);
  static final String SPANS = "spans";
  static final String SECRET_FILE = "pull.secret";
  /** The puller's name for the one shipper; its cursors are kept under it. */
  static final String HOST_NAME = "local";
  /** Shorter than the standalone puller's 2 s: on one machine spans arrive within milliseconds. */
  static final long QUIET_MILLIS = 1000;

  private final Options options;
  private final EmbeddedSpanStore store;
  private final Shipper shipper;
  private final Puller puller;
  private final AllInOneStatus status;
  private final QueryServer ui;

  /**
   * What to run.
   *
   * @param home the data directory (created if missing)
   * @param ui where the query server listens (port 0: any free port)
   * @param retention how long traces and journal blocks are kept
   * @param shipperSets {@code key=value} for the shipper's configuration, after the generated ones
   * @param pullerSets {@code key=value} for the puller's configuration, after the generated ones
   */
  record Options(Path home, InetSocketAddress ui, Duration retention, List<String> shipperSets,
      List<String> pullerSets) {
    Options {
      home = requireNonNull(home, "home").toAbsolutePath().normalize();
      requireNonNull(ui, "ui");
      requireNonNull(retention, "retention");
      if (retention.compareTo(Duration.ofMinutes(1)) < 0) {
        throw new IllegalArgumentException("retention must be at least 1m: " + retention);
      }
      // The span directory becomes a shipper glob: a home with glob syntax would match other paths.
      for (Path part : home) {
        if (ConfigValues.hasGlobSyntax(part.toString())) {
          throw new IllegalArgumentException("the data directory must not contain * ? [ ] { }: "
              + home);
        }
      }
      shipperSets = List.copyOf(shipperSets);
      pullerSets = List.copyOf(pullerSets);
    }

    Path spans() {
      return home.resolve(SPANS);
    }
  }

  /** Bad {@code --set} values or options; the message names the key. */
  static final class BadConfig extends Exception {
    private static final long serialVersionUID = 1L;

    BadConfig(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private AllInOne(Options options, EmbeddedSpanStore store, Shipper shipper, Puller puller,
      AllInOneStatus status, QueryServer ui) {
    this.options = options;
    this.store = store;
    this.shipper = shipper;
    this.puller = puller;
    this.status = status;
    this.ui = ui;
  }

  /**
   * Creates the layout, opens the store and starts the shipper and the puller.
   *
   * @throws BadConfig when a {@code --set} is wrong (nothing was started)
   * @throws IOException when a part cannot start (everything started is closed again)
   */
  static AllInOne start(Options options) throws BadConfig, IOException {
    Path home = options.home();
    Files.createDirectories(options.spans());
    Path secret = secretFile(home);
    ShipperConfig shipperConfig;
    try {
      shipperConfig = ShipperConfig.load(null, concat(shipperSets(options, secret),
          options.shipperSets()), Map.of(), Map.of());
    } catch (ShipperConfig.ConfigException e) {
      throw new BadConfig("shipper." + e.getMessage(), e);
    }
    // Validated before anything opens; the real port follows once the shipper listens.
    List<String> pullerBase = pullerSets(options, secret, 1);
    try {
      PullerConfig.load(null, concat(pullerBase, options.pullerSets()), Map.of(), Map.of());
    } catch (PullerConfig.ConfigException e) {
      throw new BadConfig("puller." + e.getMessage(), e);
    }

    EmbeddedSpanStore store;
    try {
      store = EmbeddedSpanStore.builder(home.resolve("store")).retention(options.retention())
          .build();
    } catch (StoreException e) {
      throw new IOException("cannot open the store " + home.resolve("store") + ": "
          + e.getMessage(), e);
    }
    Shipper shipper = null;
    Puller puller = null;
    AllInOneStatus status = null;
    try {
      shipper = Shipper.start(shipperConfig);
      int pullPort = shipper.pullAddress().getPort();
      PullerConfig pullerConfig = PullerConfig.load(null,
          concat(pullerSets(options, secret, pullPort), options.pullerSets()), Map.of(), Map.of());
      puller = Puller.start(pullerConfig, store);
      status = status(options, shipper, shipperConfig, puller, pullerConfig, store);
      QueryServer ui = QueryServer.builder(store.reader()).bind(options.ui()).status(status)
          .start();
      return new AllInOne(options, store, shipper, puller, status, ui);
    } catch (IOException | RuntimeException e) {
      if (status != null) {
        status.close();
      }
      if (puller != null) {
        puller.close();
      }
      if (shipper != null) {
        shipper.close();
      }
      store.close();
      throw e;
    }
  }

  private static AllInOneStatus status(Options options, Shipper shipper, ShipperConfig sc,
      Puller puller, PullerConfig pc, EmbeddedSpanStore store) {
    Map<String, Object> shipperFacts = new LinkedHashMap<>();
    shipperFacts.put("spans", String.join(", ", sc.spans()));
    shipperFacts.put("journal", sc.journalPrimary().toString());
    shipperFacts.put("replica", sc.journalReplica().toString());
    shipperFacts.put("pull", ConfigValues.formatAddress(shipper.pullAddress()));
    Map<String, Object> pullerFacts = new LinkedHashMap<>();
    pullerFacts.put("hosts", pc.hosts().stream().map(PullerConfig.Host::toString)
        .collect(Collectors.joining(", ")));
    pullerFacts.put("assembly.quietMillis", pc.assemblyQuietMillis());
    Map<String, Object> storeFacts = new LinkedHashMap<>();
    storeFacts.put("type", "embedded");
    storeFacts.put("path", options.home().resolve("store").toString());
    storeFacts.put("retention", ConfigValues.formatDuration(options.retention()));
    return new AllInOneStatus(List.of(
        new AllInOneStatus.Part("shipper", shipper.httpAddress(), shipperFacts),
        new AllInOneStatus.Part("puller", puller.httpAddress(), pullerFacts)),
        store, storeFacts);
  }

  private static List<String> shipperSets(Options o, Path secret) {
    Path journal = o.home().resolve("journal");
    return List.of(
        "spans=" + o.spans() + "/**/*.cairn",
        "journal.primary=" + journal.resolve("primary"),
        "journal.replica=" + journal.resolve("replica"),
        "state=" + journal.resolve("state"),
        "retention.maxAge=" + ConfigValues.formatDuration(o.retention()),
        "auth.secretFile=" + secret,
        // Only this JVM's puller connects, and nothing else needs a fixed port.
        "listen=127.0.0.1:0",
        "http=127.0.0.1:0");
  }

  private static List<String> pullerSets(Options o, Path secret, int pullPort) {
    return List.of(
        "hosts=" + HOST_NAME + "@127.0.0.1:" + pullPort,
        "auth.secretFile=" + secret,
        "store.path=" + o.home().resolve("store"),
        "state=" + o.home().resolve("puller-state"),
        "assembly.quietMillis=" + QUIET_MILLIS,
        "http=127.0.0.1:0");
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  /**
   * The secret the shipper and the puller share, created once with 32 random bytes, readable by
   * the owner only where the file system has POSIX permissions. Never printed.
   */
  static Path secretFile(Path home) throws IOException {
    Path file = home.resolve(SECRET_FILE);
    if (Files.exists(file)) {
      return file;
    }
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    Path tmp = home.resolve(SECRET_FILE + ".tmp");
    Files.deleteIfExists(tmp);
    try {
      Files.createFile(tmp, PosixFilePermissions.asFileAttribute(
          PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      Files.createFile(tmp);
    }
    Files.writeString(tmp, HexFormat.of().formatHex(bytes) + "\n", UTF_8);
    try {
      Files.move(tmp, file);
    } catch (FileAlreadyExistsException e) {
      // Another start won the race: use its secret.
      Files.deleteIfExists(tmp);
    }
    return file;
  }

  Options options() {
    return options;
  }

  SpanReader reader() {
    return store.reader();
  }

  /** The query server's address, with the actual port when port 0 was asked for. */
  InetSocketAddress uiAddress() {
    return ui.address();
  }

  /**
   * The web UI's base URL, ending in "/"; on 127.0.0.1 when the server listens on every
   * interface, so that it can be opened on this machine as printed.
   */
  String uiUrl() {
    InetSocketAddress a = uiAddress();
    String host = a.getAddress() != null && a.getAddress().isAnyLocalAddress()
        ? "127.0.0.1:" + a.getPort() : ConfigValues.formatAddress(a);
    return "http://" + host + "/";
  }

  /**
   * Stops in order: the puller (it flushes the traces it holds to the store and saves its
   * cursors), the shipper, the query server, then the store. Each part bounds its own steps.
   */
  @Override
  public void close() throws IOException {
    LOG.info("Stopping the all-in-one");
    try {
      puller.close();
    } finally {
      try {
        shipper.close();
      } finally {
        try {
          ui.close();
          status.close();
        } finally {
          store.close();
        }
      }
    }
  }
}
