package dev.cairn.core.wire;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The pull protocol's handshake proofs (docs/protocol.md, "Authentication"): both sides prove they
 * know the shared secret with HMAC-SHA256 over both sides' random nonces and the names and version
 * they agreed on, without ever sending the secret. The client's and the server's proofs use
 * different labels, so one can never be replayed as the other.
 *
 * <pre>{@code
 * byte[] proof = WireAuth.clientProof(secret, hello.challenge(), nonce, 1, "puller-1", hello.shipperName());
 * boolean ok = WireAuth.matches(expected, auth.proof());   // constant time
 * }</pre>
 */
public final class WireAuth {
  private static final byte[] CLIENT_LABEL = "cairn-pull-client".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] SERVER_LABEL = "cairn-pull-server".getBytes(StandardCharsets.US_ASCII);
  private static final SecureRandom RANDOM = new SecureRandom();

  private WireAuth() {}

  /** {@link Wire#CHALLENGE_BYTES} bytes from a {@link SecureRandom}: a challenge or a client nonce. */
  public static byte[] newNonce() {
    byte[] b = new byte[Wire.CHALLENGE_BYTES];
    RANDOM.nextBytes(b);
    return b;
  }

  /**
   * HMAC-SHA256(secret, "cairn-pull-client" ‖ challenge ‖ clientNonce ‖ u16 version ‖
   * str16 clientName ‖ str16 shipperName): what AUTH carries.
   */
  public static byte[] clientProof(byte[] secret, byte[] challenge, byte[] clientNonce, int version,
      String clientName, String shipperName) {
    return mac(secret, CLIENT_LABEL, challenge, clientNonce, version, clientName, shipperName);
  }

  /** The same with the label "cairn-pull-server": what AUTH_OK carries. */
  public static byte[] serverProof(byte[] secret, byte[] challenge, byte[] clientNonce, int version,
      String clientName, String shipperName) {
    return mac(secret, SERVER_LABEL, challenge, clientNonce, version, clientName, shipperName);
  }

  /** Compares two proofs in time independent of where they differ. */
  public static boolean matches(byte[] expected, byte[] actual) {
    return MessageDigest.isEqual(expected, actual);
  }

  private static byte[] mac(byte[] secret, byte[] label, byte[] challenge, byte[] clientNonce,
      int version, String clientName, String shipperName) {
    if (secret.length == 0) {
      throw new IllegalArgumentException("the shared secret is empty");
    }
    Wire.checkBytes(challenge, Wire.CHALLENGE_BYTES, "challenge");
    Wire.checkBytes(clientNonce, Wire.CHALLENGE_BYTES, "clientNonce");
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      mac.update(label);
      mac.update(challenge);
      mac.update(clientNonce);
      mac.update((byte) (version >>> 8));
      mac.update((byte) version);
      str16(mac, clientName);
      str16(mac, shipperName);
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      // HmacSHA256 is required of every Java platform; this cannot happen on a working JDK.
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  private static void str16(Mac mac, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    mac.update((byte) (b.length >>> 8));
    mac.update((byte) b.length);
    mac.update(b);
  }
}
