package dev.cairn.core.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class WireAuthTest {
  private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  private final byte[] challenge = WireAuth.newNonce();
  private final byte[] nonce = WireAuth.newNonce();

  private byte[] proof(byte[] secret, byte[] challenge, byte[] nonce, int version, String client, String shipper) {
    return WireAuth.clientProof(secret, challenge, nonce, version, client, shipper);
  }

  @Test
  void clientProof_isHmacSha256OverTheDocumentedInput() throws Exception {
    byte[] c = new byte[32];
    byte[] n = new byte[32];
    n[31] = 1;
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(SECRET, "HmacSHA256"));
    mac.update("cairn-pull-client".getBytes(StandardCharsets.US_ASCII));
    mac.update(c);
    mac.update(n);
    mac.update(HexFormat.of().parseHex("0001" + "0002" + "7031" + "0003" + "736869"));  // v1, "p1", "shi"
    assertArrayEquals(mac.doFinal(), proof(SECRET, c, n, 1, "p1", "shi"));
  }

  @Test
  void proofs_dependOnEveryInput() {
    byte[] base = proof(SECRET, challenge, nonce, 1, "puller", "edge-1");
    assertArrayEquals(base, proof(SECRET, challenge, nonce, 1, "puller", "edge-1"));
    byte[] otherSecret = SECRET.clone();
    otherSecret[0] ^= 1;
    List<byte[]> variants = List.of(
        proof(otherSecret, challenge, nonce, 1, "puller", "edge-1"),
        proof(SECRET, WireAuth.newNonce(), nonce, 1, "puller", "edge-1"),
        proof(SECRET, challenge, WireAuth.newNonce(), 1, "puller", "edge-1"),
        proof(SECRET, challenge, nonce, 2, "puller", "edge-1"),
        proof(SECRET, challenge, nonce, 1, "pullers", "edge-1"),
        proof(SECRET, challenge, nonce, 1, "puller", "edge-2"),
        // Moving a character from one name to the other must not give the same input.
        proof(SECRET, challenge, nonce, 1, "pullere", "dge-1"),
        WireAuth.serverProof(SECRET, challenge, nonce, 1, "puller", "edge-1"));
    for (byte[] v : variants) {
      assertEquals(Wire.PROOF_BYTES, v.length);
      assertFalse(WireAuth.matches(base, v));
    }
  }

  @Test
  void matches_comparesWholeArrays() {
    byte[] a = proof(SECRET, challenge, nonce, 1, "p", "s");
    byte[] b = a.clone();
    assertTrue(WireAuth.matches(a, b));
    b[31] ^= 0x01;
    assertFalse(WireAuth.matches(a, b));
    assertFalse(WireAuth.matches(a, new byte[0]));
  }

  @Test
  void newNonce_isFreshEachTime() {
    assertEquals(Wire.CHALLENGE_BYTES, WireAuth.newNonce().length);
    assertFalse(WireAuth.matches(WireAuth.newNonce(), WireAuth.newNonce()));
  }

  @Test
  void emptySecretIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> proof(new byte[0], challenge, nonce, 1, "p", "s"));
  }
}
