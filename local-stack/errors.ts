import { createConnection } from 'node:net';

/** An error whose message is one sentence meant for the person at the terminal. */
export class StackError extends Error {}

/** The sentence every service uses when its port is taken. */
export function portTaken(port: number, what: string): StackError {
  return new StackError(`Port ${port} is already in use by another program, so ${what} cannot start there.`);
}

/** True when nothing accepts connections on host:port. */
export function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}
