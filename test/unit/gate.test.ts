import { describe, expect, it } from "vitest";
import { Gate } from "../../src/gate.js";

const tick = () => new Promise((r) => setTimeout(r, 0));

describe("Gate", () => {
  it("admits at most `limit` holders and serves waiters in arrival order", async () => {
    const gate = new Gate(2);
    const order: string[] = [];
    const r1 = await gate.acquire();
    const r2 = await gate.acquire();
    const third = gate.acquire().then((r) => {
      order.push("third");
      return r;
    });
    const fourth = gate.acquire().then((r) => {
      order.push("fourth");
      return r;
    });
    await tick();
    expect(order).toEqual([]);
    expect(gate.held).toBe(2);
    r1();
    r1(); // idempotent: does not free a second place
    const r3 = await third;
    await tick();
    expect(order).toEqual(["third"]);
    r2();
    const r4 = await fourth;
    expect(order).toEqual(["third", "fourth"]);
    expect(gate.held).toBe(2);
    r3();
    r4();
    expect(gate.held).toBe(0);
  });

  it("run() releases on failure too, and rejects a limit below 1", async () => {
    const gate = new Gate(1);
    await expect(gate.run(async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(gate.held).toBe(0);
    expect(await gate.run(async () => 7)).toBe(7);
    expect(() => new Gate(0)).toThrow(/expected a number ≥ 1, got 0/);
  });
});
