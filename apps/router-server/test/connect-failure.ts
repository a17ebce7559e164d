import { ConnectError } from "@connectrpc/connect";

/** The ConnectError `p` rejects with; fails the test when it resolves. */
export async function connectFailure(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("expected the call to fail");
}
