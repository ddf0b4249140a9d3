/**
 * The core every training loop shares: Adam per group of weights, one step
 * inside a tidy scope (gradients, updates, running sums of the step's
 * metrics kept as tensors so no step waits for the backend), reading the sums
 * back once per log entry, and a pause between steps so Ctrl-C and progress
 * redraws get through. fit() (epochs over mini-batches) and selfTrain()
 * (joint labeled + unlabeled steps) are built on it.
 */
import * as tf from '#tfjs';
import { UserError } from '../errors.ts';
import { createAdam, type Adam } from './adam.ts';

/** Weights trained at their own learning rate (e.g. an encoder fine-tuned slower than its head). */
export interface WeightGroup {
  weights: tf.LayerVariable[];
  learningRate: number;
}

/** A diverging loss is bad input (a learning rate too high for the data), not a bug: one line, exit 2. */
export class NonFiniteLossError extends UserError {
  override name = 'NonFiniteLossError';
}

/**
 * Gradients of `objective` for every trained weight and one Adam update per
 * group; returns the objective's value. Call it once inside a step's body.
 */
export type Minimise = (objective: () => tf.Scalar) => tf.Scalar;

/**
 * A pause for a training loop to await between batches: it lets timers and signal handlers run
 * (Ctrl-C, progress redraws) a few times a second, since tfjs's awaits on wasm/cpu are microtasks
 * only and one epoch of a large pool takes many seconds.
 */
export function eventLoopPause(): () => Promise<void> {
  let lastYield = Date.now();
  return async () => {
    if (Date.now() - lastYield <= 200) return;
    await new Promise((resolve) => setImmediate(resolve));
    lastYield = Date.now();
  };
}

export class TrainingLoop {
  /** Await between steps (see eventLoopPause). */
  readonly pause = eventLoopPause();
  private readonly optimizers: Adam[];
  private readonly groupVariables: tf.Variable[][];
  private readonly variables: tf.Variable[];
  private sums = new Map<string, tf.Scalar>();

  /** Groups without weights are left out (a frozen encoder contributes none). */
  constructor(groups: WeightGroup[]) {
    const trained = groups.filter((g) => g.weights.length > 0);
    this.optimizers = trained.map((g) => createAdam(g.learningRate));
    this.groupVariables = trained.map((g) => g.weights.map((w) => w.read() as tf.Variable));
    this.variables = this.groupVariables.flat();
  }

  /**
   * One step. `body` builds the batch tensors, calls `minimise` once, and returns the step's
   * metrics (e.g. its loss times its rows, its correct predictions); each is added to its running
   * sum. Every tensor the body makes is released, including metrics it kept out of an inner scope.
   */
  step(body: (minimise: Minimise) => Record<string, tf.Scalar>): void {
    const minimise: Minimise = (objective) => {
      const { value, grads } = tf.variableGrads(objective, this.variables);
      // Each group's optimiser steps only its own weights (what optimizer.minimize does for one group).
      this.optimizers.forEach((optimizer, g) => optimizer.applyGradients(this.groupVariables[g], this.groupVariables[g].map((v) => grads[v.name])));
      return value;
    };
    const next = tf.tidy(() => {
      const metrics = body(minimise);
      const sums: Record<string, tf.Scalar> = {};
      for (const [name, value] of Object.entries(metrics)) {
        const previous = this.sums.get(name);
        sums[name] = previous ? previous.add(value) : value.clone();
        value.dispose();
      }
      return sums;
    });
    for (const [name, sum] of Object.entries(next)) {
      this.sums.get(name)?.dispose();
      this.sums.set(name, sum);
    }
  }

  /** The running sums since the last drain, as numbers; the sums start again from zero. */
  async drain(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const [name, sum] of this.sums) out[name] = (await sum.data())[0];
    this.disposeSums();
    return out;
  }

  /** Each trained group's variables and its Adam, for a step that computes its own gradients (fused-dense-step.ts). */
  trainedGroups(): Array<{ variables: tf.Variable[]; optimizer: Adam }> {
    return this.optimizers.map((optimizer, g) => ({ variables: this.groupVariables[g], optimizer }));
  }

  /** The learning rate of every group from now on (a schedule over the steps). */
  setLearningRate(learningRate: number): void {
    this.optimizers.forEach((optimizer) => optimizer.setLearningRate(learningRate));
  }

  dispose(): void {
    this.disposeSums();
    this.optimizers.forEach((optimizer) => optimizer.dispose());
  }

  private disposeSums(): void {
    for (const sum of this.sums.values()) sum.dispose();
    this.sums.clear();
  }
}
