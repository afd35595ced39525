// Runs tasks one at a time. libvirt records a failed call's error per connection (virConnCopyLastError),
// so calls on one connection are serialized to read back exactly the error of the call that failed.
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
