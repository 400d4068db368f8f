package dev.cairn.shipper;

import dev.cairn.core.wire.Wire;
import dev.cairn.core.wire.WireAuth;
import dev.cairn.core.wire.WireException;
import dev.cairn.core.wire.WireMessage;
import dev.cairn.core.wire.WireMessage.Auth;
import dev.cairn.core.wire.WireMessage.AuthOk;
import dev.cairn.core.wire.WireMessage.Batch;
import dev.cairn.core.wire.WireMessage.ErrorMessage;
import dev.cairn.core.wire.WireMessage.Fetch;
import dev.cairn.core.wire.WireMessage.FetchResult;
import dev.cairn.core.wire.WireMessage.Hello;
import dev.cairn.core.wire.WireMessage.Pull;
import dev.cairn.core.wire.WireMessage.Status;
import dev.cairn.core.wire.WireMessage.StatusResult;
import dev.cairn.core.wire.WireMessage.TraceId;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * A blocking puller for tests, on a plain JDK socket (or an SSLSocket): reads HELLO on connect,
 * authenticates, sends requests and reads answers with trace-core's wire codec. Decoded entries
 * are views into the client's frame buffer, valid until the next read.
 */
final class PullClient implements Closeable {
  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private final Hello hello;
  private byte[] frame = new byte[64 * 1024];
  private int maxFrame = Wire.maxResponseFrame(64 << 20);

  private PullClient(Socket socket) throws IOException, WireException {
    this.socket = socket;
    socket.setSoTimeout(15_000);
    socket.setTcpNoDelay(true);
    this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 256 * 1024));
    this.out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
    WireMessage first = read();
    if (!(first instanceof Hello h)) {
      throw new AssertionError("expected HELLO, got " + first);
    }
    this.hello = h;
  }

  static PullClient connect(int port) throws IOException, WireException {
    Socket s = new Socket();
    s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    return new PullClient(s);
  }

  /**
   * Connects where the server is expected to refuse at once: returns the ERROR it sends instead of
   * HELLO, after checking that it then closes the connection.
   */
  static ErrorMessage refusedOnConnect(int port) throws IOException, WireException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      s.setSoTimeout(15_000);
      DataInputStream in = new DataInputStream(s.getInputStream());
      int length = Wire.checkFrameLength(in.readInt(), 1 << 20);
      byte[] frame = new byte[length];
      in.readFully(frame);
      WireMessage m = Wire.decode(ByteBuffer.wrap(frame));
      if (!(m instanceof ErrorMessage e)) {
        throw new AssertionError("expected ERROR instead of HELLO, got " + m);
      }
      if (in.read() != -1) {
        throw new AssertionError("the connection stayed open after " + e);
      }
      return e;
    }
  }

  /** TLS, verifying the server's certificate chain and host name (127.0.0.1) against {@code trust}. */
  static PullClient connectTls(int port, SSLContext trust) throws IOException, WireException {
    SSLSocket s = (SSLSocket) trust.getSocketFactory().createSocket();
    SSLParameters params = s.getSSLParameters();
    params.setEndpointIdentificationAlgorithm("HTTPS");
    s.setSSLParameters(params);
    s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    s.startHandshake();
    return new PullClient(s);
  }

  Hello hello() {
    return hello;
  }

  /** Authenticates; returns AUTH_OK after checking the server's proof, or the server's ERROR. */
  WireMessage authenticate(byte[] secret, String clientName) throws IOException, WireException {
    byte[] nonce = WireAuth.newNonce();
    int version = Wire.chooseVersion(hello.minVersion(), hello.maxVersion());
    send(new Auth(version, nonce, clientName,
        WireAuth.clientProof(secret, hello.challenge(), nonce, version, clientName, hello.shipperName())));
    WireMessage answer = read();
    if (answer instanceof AuthOk ok) {
      byte[] expected = WireAuth.serverProof(secret, hello.challenge(), nonce, version, clientName, hello.shipperName());
      if (!WireAuth.matches(expected, ok.serverProof())) {
        throw new AssertionError("server proof does not match");
      }
    }
    return answer;
  }

  /** Authenticates or fails the test. */
  PullClient login(byte[] secret) throws IOException, WireException {
    WireMessage m = authenticate(secret, "test-puller");
    if (!(m instanceof AuthOk)) {
      throw new AssertionError("expected AUTH_OK, got " + m);
    }
    return this;
  }

  void send(WireMessage m) throws IOException {
    ByteBuffer b = Wire.encode(m);
    out.write(b.array(), b.arrayOffset() + b.position(), b.remaining());
    out.flush();
  }

  void sendRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  WireMessage read() throws IOException, WireException {
    int length = Wire.checkFrameLength(in.readInt(), maxFrame);
    if (frame.length < length) {
      frame = new byte[Math.max(length, frame.length * 2)];
    }
    in.readFully(frame, 0, length);
    return Wire.decode(ByteBuffer.wrap(frame, 0, length));
  }

  <T extends WireMessage> T expect(Class<T> type) throws IOException, WireException {
    WireMessage m = read();
    if (!type.isInstance(m)) {
      throw new AssertionError("expected " + type.getSimpleName() + ", got " + m);
    }
    return type.cast(m);
  }

  Batch pull(long cursor, int maxBytes, int maxWaitMillis) throws IOException, WireException {
    send(new Pull(cursor, maxBytes, maxWaitMillis));
    return expect(Batch.class);
  }

  FetchResult fetch(long fromSeq, int maxBytes, List<TraceId> ids) throws IOException, WireException {
    send(new Fetch(fromSeq, maxBytes, ids));
    return expect(FetchResult.class);
  }

  StatusResult status() throws IOException, WireException {
    send(new Status());
    return expect(StatusResult.class);
  }

  /** Reads what is left until the server closes; returns the ERROR it sent before, if any. */
  ErrorMessage readErrorThenClose() throws IOException, WireException {
    ErrorMessage error = null;
    while (true) {
      try {
        WireMessage m = read();
        if (m instanceof ErrorMessage e) {
          error = e;
        }
      } catch (EOFException | SocketException e) {
        return error;
      } catch (SocketTimeoutException e) {
        throw new AssertionError("server did not close the connection", e);
      }
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
