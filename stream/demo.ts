/**
 * The seed's demo: 100 random numbers as lines `0 i y`.
 *
 * @module
 */

/** Points in one demo stream, as in the seed. */
export const DEMO_POINTS = 100;

/**
 * Returns the demo's lines `0 {i} {y}\n` for i = 0..count-1, with
 * 0 ≤ y < 1, as one string: one frame is cheaper than a hundred.
 */
export function createDemoFrame(
  count: number = DEMO_POINTS,
  random: () => number = Math.random,
): string {
  let frame = "";
  for (let i = 0; i < count; i++) frame += `0 ${i} ${random()}\n`;
  return frame;
}
