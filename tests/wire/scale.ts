/**
 * "Linear, not quadratic", measured in one test on one machine: the time of size `factor`·n
 * over the time of size n. Linear work gives about `factor`, quadratic work `factor`²; a bound
 * between the two (generous against a busy machine) tells them apart without a wall-clock race.
 * Each size keeps its fastest run, after a warm-up, so one collection or a neighbour's burst
 * does not decide.
 */
export function growth(run: (n: number) => void, n: number, factor = 8): number {
  run(n);
  const best = (size: number, tries: number) => {
    let min = Infinity;
    for (let i = 0; i < tries; i++) {
      const t = performance.now();
      run(size);
      min = Math.min(min, performance.now() - t);
    }
    return min;
  };
  const small = best(n, 3);
  const big = best(n * factor, 3);
  return big / Math.max(small, 0.5);
}
