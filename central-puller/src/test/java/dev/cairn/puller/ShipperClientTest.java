package dev.cairn.puller;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.wire.ErrorCode;
import dev.cairn.core.wire.Wire;
import dev.cairn.core.wire.WireAuth;
import dev.cairn.core.wire.WireMessage;
import dev.cairn.core.wire.WireMessage.Auth;
import dev.cairn.core.wire.WireMessage.AuthOk;
import dev.cairn.core.wire.WireMessage.ErrorMessage;
import dev.cairn.core.wire.WireMessage.Hello;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The client against fake shippers: a plain ServerSocket speaking just enough of the protocol. */
class ShipperClientTest {
  static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(UTF_8);

  ServerSocket server;
  Thread thread;
  volatile WireMessage received;

  interface Script {
    void run(DataInputStream in, OutputStream out) throws Exception;
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
    thread.join(5_000);
  }

  private int fake(Script script) throws IOException {
    server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
    thread = new Thread(() -> {
      try (Socket s = server.accept()) {
        script.run(new DataInputStream(s.getInputStream()), s.getOutputStream());
      } catch (Exception ignored) {
        // the test's assertions are on the client's side
      }
    });
    thread.start();
    return server.getLocalPort();
  }

  private static void send(OutputStream out, WireMessage m) throws IOException {
    ByteBuffer b = Wire.encode(m);
    out.write(b.array(), b.arrayOffset() + b.position(), b.remaining());
    out.flush();
  }

  private static WireMessage read(DataInputStream in) throws Exception {
    byte[] frame = new byte[Wire.checkFrameLength(in.readInt(), 1 << 20)];
    in.readFully(frame);
    return Wire.decode(ByteBuffer.wrap(frame));
  }

  private static Hello hello() {
    return new Hello(1, 1, 1 << 20, WireAuth.newNonce(), "fake", "fake-host");
  }

  private ShipperException connectFails(int port) {
    CompletableFuture<ShipperClient> f = ShipperClient.builder("127.0.0.1", port, SECRET)
        .handshakeTimeout(Duration.ofSeconds(2)).connect();
    ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
    return assertInstanceOf(ShipperException.class, e.getCause());
  }

  @Test
  void fakeShipperWithoutTheSecret_isRefused() throws Exception {
    int port = fake((in, out) -> {
      send(out, hello());
      received = read(in);
      send(out, new AuthOk(1, 8 << 20, 30_000, new byte[Wire.PROOF_BYTES]));   // cannot compute the proof
      received = read(in);   // the client's ERROR
      in.read();
    });
    ShipperException e = connectFails(port);
    assertEquals(ErrorCode.AUTH_FAILED, e.errorCode().orElseThrow());
    assertFalse(e.fromShipper());
    assertTrue(e.getMessage().contains("did not prove it knows the shared secret"), e.getMessage());
    thread.join(5_000);
    ErrorMessage told = assertInstanceOf(ErrorMessage.class, received);
    assertEquals(ErrorCode.AUTH_FAILED.code(), told.code());
  }

  @Test
  void fakeShipperReplayingTheClientProof_isRefused() throws Exception {
    // Echoing the client's own proof back must not pass: the server's proof has another label.
    int port = fake((in, out) -> {
      send(out, hello());
      Auth a = (Auth) read(in);
      send(out, new AuthOk(1, 8 << 20, 30_000, a.proof()));
      in.read();
    });
    assertEquals(ErrorCode.AUTH_FAILED, connectFails(port).errorCode().orElseThrow());
  }

  @Test
  void silentPeer_failsAtTheHandshakeTimeout() throws Exception {
    int port = fake((in, out) -> in.read());
    long t0 = System.nanoTime();
    ShipperException e = connectFails(port);
    assertTrue(e.getMessage().contains("no handshake"), e.getMessage());
    assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5));
  }

  @Test
  void notAShipper_failsWithMalformedFrame() throws Exception {
    int port = fake((in, out) -> {
      out.write("HTTP/1.1 400 Bad Request\r\n\r\n".getBytes(UTF_8));
      out.flush();
      in.read();
    });
    ShipperException e = connectFails(port);
    assertTrue(e.code().isPresent(), e.getMessage());
  }

  @Test
  void nobodyListening_failsToConnect() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    server = new ServerSocket(0);
    thread = new Thread(() -> { });
    CompletableFuture<ShipperClient> f = ShipperClient.builder("127.0.0.1", port, SECRET).connect();
    ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
    assertTrue(assertInstanceOf(ShipperException.class, e.getCause()).getMessage().contains("cannot connect"));
  }

  @Test
  void connectionClosedMidRequest_failsEveryPendingFuture_andAnErrorAnswerFailsOnlyItsRequest() throws Exception {
    int port = fake((in, out) -> {
      Hello h = hello();
      send(out, h);
      Auth a = (Auth) read(in);
      send(out, new AuthOk(1, 8 << 20, 30_000,
          WireAuth.serverProof(SECRET, h.challenge(), a.clientNonce(), 1, a.clientName(), h.shipperName())));
      read(in);
      send(out, ErrorMessage.of(ErrorCode.UNAVAILABLE, "journal unreadable"));
      read(in);
      read(in);
      // two requests pending: close without answering
    });
    try (ShipperClient c = ShipperClient.builder("127.0.0.1", port, SECRET).connect().get(10, TimeUnit.SECONDS)) {
      ExecutionException first = assertThrows(ExecutionException.class, () -> c.status().get(5, TimeUnit.SECONDS));
      ShipperException unavailable = assertInstanceOf(ShipperException.class, first.getCause());
      assertEquals(ErrorCode.UNAVAILABLE, unavailable.errorCode().orElseThrow());
      assertTrue(unavailable.fromShipper());
      CompletableFuture<ShipperClient.Batch> a = c.pull(1, 0, 10_000);
      CompletableFuture<ShipperClient.Batch> b = c.pull(1, 0, 10_000);
      for (CompletableFuture<ShipperClient.Batch> f : java.util.List.of(a, b)) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
        assertTrue(assertInstanceOf(ShipperException.class, e.getCause()).getMessage().contains("lost"),
            e.getCause().getMessage());
      }
    }
  }
}
