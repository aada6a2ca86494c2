// The @circuitBreaker decorator (standard TC39 decorators, TypeScript 5+). Node cannot run
// decorators yet, so this file is compiled first: `node examples/decorator/run.mjs` does that
// with TypeScript's transpileModule and runs the result (in your project, tsc does it).
import { CircuitOpenError, circuitBreaker, defaultRegistry } from 'breakwater';

export class PaymentsClient {
  calls = 0;
  up = false;

  // Every PaymentsClient shares the breaker "payments-api" (in breakwater's defaultRegistry,
  // which BreakwaterInstrumentation reports as metrics).
  @circuitBreaker('payments-api', { failureThreshold: 2, openTimeoutMs: 30_000 })
  async charge(amount: number): Promise<{ charged: number }> {
    this.calls += 1;
    if (!this.up) throw new Error('payments-api answered 503');
    return { charged: amount };
  }
}

export async function main(): Promise<void> {
  const client = new PaymentsClient();
  for (let i = 1; i <= 4; i++) {
    try {
      await client.charge(10);
    } catch (err) {
      if (err instanceof CircuitOpenError) console.log(`charge ${i}: rejected by breaker ${err.breakerName} (${err.code})`);
      else console.log(`charge ${i}: failed (${(err as Error).message})`);
    }
  }
  console.log(`payments-api was called ${client.calls} times for 4 charges`);
  console.log(`breaker payments-api: ${defaultRegistry.peek('payments-api')?.state}`);
}
