/**
 * A FIFO queue of async jobs: each job starts when the previous one has settled (Go's serialize.Executor).
 * @module
 */
export class SerialExecutor {
  #tail: Promise<unknown> = Promise.resolve();
  #pending = 0;

  /** Queues `job`; the result settles with the job's own outcome. A failed job never blocks the queue. */
  run<TResult>(job: () => Promise<TResult>): Promise<TResult> {
    this.#pending++;
    const result = this.#tail.then(job);
    this.#tail = result.then(
      () => this.#pending--,
      () => this.#pending--,
    );
    return result;
  }

  /** Jobs queued or running. */
  get pending(): number {
    return this.#pending;
  }
}
