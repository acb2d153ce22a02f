// The benchmark scripts' one way to make calls: `calls` calls of `call`,
// `inFlight` at a time (a lane starts its next call when its last one is
// answered), each answer handed to `check` when one is given.
export async function run(call, calls, inFlight, check) {
  let started = 0;
  const lane = async () => {
    while (started < calls) {
      started++;
      const answer = await call();
      if (check) check(answer);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, calls) }, lane));
}

/** Throws unless `token` is a sign-in token (an `id` starting `sit_`). */
export function isToken(token) {
  if (typeof token?.id !== "string" || !token.id.startsWith("sit_")) {
    throw new Error(`not a sign-in token: ${JSON.stringify(token)}`);
  }
}
