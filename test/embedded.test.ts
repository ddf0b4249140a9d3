import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { loadEmbeddedMnist, EMBEDDED_MNIST_COUNTS, readPixelBytes } from '../src/data/embedded.ts';
import { featureCount } from '../src/data/dataset.ts';

test('embedded MNIST: shape, class order and pixels as bytes', () => {
  const ds = loadEmbeddedMnist();
  const n = EMBEDDED_MNIST_COUNTS.reduce((a, b) => a + b, 0);
  assert.equal(ds.name, 'embedded-mnist');
  assert.deepEqual(ds.inputShape, [28, 28, 1]);
  assert.equal(ds.y.length, n);
  assert.equal(ds.x.length, n * featureCount(ds));
  assert.deepEqual(ds.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  // Digit 0 block first, then 1, …
  assert.equal(ds.y[0], 0);
  assert.equal(ds.y[EMBEDDED_MNIST_COUNTS[0] - 1], 0);
  assert.equal(ds.y[EMBEDDED_MNIST_COUNTS[0]], 1);
  assert.equal(ds.y[n - 1], 9);
  const counts = new Array<number>(10).fill(0);
  for (const c of ds.y) counts[c]++;
  assert.deepEqual(counts, [...EMBEDDED_MNIST_COUNTS]);
  // Pixels are bytes (standing for byte/255), the full range used.
  assert.ok(ds.x instanceof Uint8Array);
  assert.equal(Math.max(...ds.x.subarray(0, 784 * 50)), 255);
  assert.equal(Math.min(...ds.x.subarray(0, 784 * 50)), 0);
});

test('embedded MNIST: the bytes read from the files are those of the package\'s own JSON parse', () => {
  const { x } = loadEmbeddedMnist();
  const digits = createRequire(import.meta.url)('mnist') as { raw: number[] }[];
  const expected = new Uint8Array(x.length);
  let offset = 0;
  for (const digit of digits.slice(0, 10)) {
    for (let i = 0; i < digit.raw.length; i++) expected[offset + i] = Math.round(digit.raw[i] * 255);
    offset += digit.raw.length;
  }
  assert.equal(offset, x.length);
  assert.ok(Buffer.from(x.buffer, x.byteOffset, x.length).equals(Buffer.from(expected.buffer)), 'bytes differ from JSON.parse');
});

test('embedded MNIST: a pixel file of another form is refused, saying where and what to do', () => {
  const read = (text: string, room = 8) => {
    const into = new Uint8Array(room);
    return { count: readPixelBytes(new TextEncoder().encode(text), into, 'digit.json'), values: [...into] };
  };
  assert.deepEqual(read('{ "data": [0,0,0,0.2,1,0.624,0,0] }'), { count: 8, values: [0, 0, 0, 51, 255, 159, 0, 0] });
  assert.deepEqual(read('{"data":[0.5]}'), { count: 1, values: [128, 0, 0, 0, 0, 0, 0, 0] });
  assert.deepEqual(read('{"data":[]}'), { count: 0, values: [0, 0, 0, 0, 0, 0, 0, 0] });
  const refused = (text: string, what: RegExp, room = 8) =>
    assert.throws(() => read(text, room), (e: Error) => what.test(e.message) && /digit\.json at byte \d+/.test(e.message) && /reinstall mnist@1\.1\.0/.test(e.message));
  refused('{"data": 0}', /not \{"data": \[\.\.\.\]\}/);
  refused('{"x": [1], "data":[0]}', /not \{"data": \[\.\.\.\]\}/);
  refused('{"data":[0]}, {"data":[1]}', /more after the array/);
  assert.deepEqual(read(' {\n "data" : [0.2]\n}\n'), { count: 1, values: [51, 0, 0, 0, 0, 0, 0, 0] });
  refused('{"data":[0,0', /the end of the file/);
  refused('{"data":[0,"a"]}', /'"'/);
  refused('{"data":[0, 1]}', /' '/);
  refused('{"data":[1e-3]}', /'e'/);
  refused('{"data":[0,]}', /','/);
  refused('{"data":[0.]}', /a point without digits/);
  refused('{"data":[2]}', /2, above 1/);
  refused('{"data":[0.1234567890123456789]}', /too many digits/);
  refused('{"data":[0,0,0,0]}', /more values than expected/, 3);
  refused('{"data":[0,0,0,0,0,0]}', /more values than expected/, 1);
  refused('{"data":[0.2,0.2,0.2]}', /more values than expected/, 2);
});
