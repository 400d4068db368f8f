package dev.cairn.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DemoShopTest {
  @Test
  void orderMix_overSixHundredOrders() {
    int fails = 0;
    int slow = 0;
    int noStock = 0;
    for (long n = DemoLoad.FIRST_ORDER; n < DemoLoad.FIRST_ORDER + 600; n++) {
      fails += DemoShop.paymentFails(n) ? 1 : 0;
      slow += DemoShop.paymentSlow(n) || DemoShop.stockSlow(n) ? 1 : 0;
      noStock += DemoShop.outOfStock(n) ? 1 : 0;
      assertFalse(DemoShop.outOfStock(n) && DemoShop.paymentFails(n), "order " + n);
    }
    assertEquals(30, fails);
    assertEquals(27, slow);
    assertEquals(20, noStock);
    // The first failure comes within the first half-second at the default rate.
    assertTrue(DemoShop.paymentFails(DemoLoad.FIRST_ORDER + 6));
  }

  @Test
  void services_startLeavesFirst() {
    Set<String> started = new HashSet<>();
    for (String s : DemoShop.SERVICES) {
      assertTrue(started.containsAll(DemoShop.CALLS.get(s)), s + " starts before what it calls");
      started.add(s);
    }
    assertEquals(Set.copyOf(DemoShop.SERVICES), DemoShop.CALLS.keySet());
    assertEquals(List.of(DemoShop.INVENTORY, DemoShop.PAYMENTS), DemoShop.CALLS.get(DemoShop.ORDERS));
  }
}
