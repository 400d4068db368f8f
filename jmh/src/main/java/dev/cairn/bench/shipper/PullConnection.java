package dev.cairn.bench.shipper;

import dev.cairn.core.wire.Wire;
import dev.cairn.core.wire.WireAuth;
import dev.cairn.core.wire.WireException;
import dev.cairn.core.wire.WireMessage;
import dev.cairn.core.wire.WireMessage.Auth;
import dev.cairn.core.wire.WireMessage.AuthOk;
import dev.cairn.core.wire.WireMessage.Batch;
import dev.cairn.core.wire.WireMessage.Hello;
import dev.cairn.core.wire.WireMessage.Pull;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A blocking puller on a plain socket with trace-core's wire codec: HELLO, authentication, PULL.
 * The central puller's own client is internal to its module; this one speaks the same protocol
 * (docs/protocol.md) with nothing around it, so the figure is the shipper's.
 */
final class PullConnection implements Closeable {
  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private byte[] frame = new byte[1 << 20];
  private final int maxFrame = Wire.maxResponseFrame(64 << 20);

  private PullConnection(Socket socket) throws IOException {
    this.socket = socket;
    socket.setSoTimeout(30_000);
    socket.setTcpNoDelay(true);
    in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 256 * 1024));
    out = socket.getOutputStream();
  }

  static PullConnection open(int port, String secret) throws IOException, WireException {
    Socket s = new Socket();
    s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    PullConnection c = new PullConnection(s);
    try {
      if (!(c.read() instanceof Hello hello)) {
        throw new IOException("the shipper did not say HELLO");
      }
      byte[] key = secret.getBytes(StandardCharsets.UTF_8);
      byte[] nonce = WireAuth.newNonce();
      int version = Wire.chooseVersion(hello.minVersion(), hello.maxVersion());
      c.send(new Auth(version, nonce, "bench", WireAuth.clientProof(key, hello.challenge(), nonce,
          version, "bench", hello.shipperName())));
      WireMessage answer = c.read();
      if (!(answer instanceof AuthOk)) {
        throw new IOException("authentication refused: " + answer);
      }
      return c;
    } catch (IOException | WireException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  Batch pull(long cursor, int maxBytes) throws IOException, WireException {
    send(new Pull(cursor, maxBytes, 0));
    WireMessage m = read();
    if (m instanceof Batch b) {
      return b;
    }
    throw new IOException("expected BATCH, got " + m);
  }

  private void send(WireMessage m) throws IOException {
    ByteBuffer b = Wire.encode(m);
    out.write(b.array(), b.arrayOffset() + b.position(), b.remaining());
    out.flush();
  }

  private WireMessage read() throws IOException, WireException {
    int length = Wire.checkFrameLength(in.readInt(), maxFrame);
    if (frame.length < length) {
      frame = new byte[Math.max(length, frame.length * 2)];
    }
    in.readFully(frame, 0, length);
    return Wire.decode(ByteBuffer.wrap(frame, 0, length));
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
