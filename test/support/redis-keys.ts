/** Test clean-up: deletes every Redis key under a test's own prefix (cluster tests share the machine's Redis). */
import { createClient } from 'redis';

export async function deleteRedisPrefix(url: string, prefix: string): Promise<void> {
  const r = createClient({ url });
  await r.connect();
  try {
    for await (const keys of r.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) if (keys.length) await r.del(keys);
  } finally {
    r.destroy();
  }
}
