/**
 * AdamW for the fast path: one kernel per variable per step (new values computed from the
 * gradient and the moment estimates, which are updated in place), the same update rule as
 * PyTorch's torch.optim.AdamW. On other backends the same update runs in tfjs ops.
 */
import * as tf from "@tensorflow/tfjs";
import { runLabKernel } from "./kernels";
import { fastAvailable } from "./wasm";

export interface AdamWOptions {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Decoupled weight decay (PyTorch's AdamW default is 0.01; 0 gives plain Adam). */
  weightDecay?: number;
}

export class AdamW {
  readonly variables: readonly tf.Variable[];
  learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  private moments: { m: tf.Tensor; v: tf.Tensor }[];
  private t = 0;

  constructor(variables: readonly tf.Variable[], opts: AdamWOptions) {
    if (!(opts.learningRate > 0)) throw new Error(`AdamW: learningRate must be > 0, got ${opts.learningRate}`);
    const names = new Set<string>();
    for (const v of variables) {
      if (names.has(v.name)) throw new Error(`AdamW: variable "${v.name}" is listed twice`);
      names.add(v.name);
    }
    this.variables = [...variables];
    this.learningRate = opts.learningRate;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.epsilon = opts.epsilon ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0.01;
    this.moments = this.variables.map((v) => ({ m: tf.zeros(v.shape), v: tf.zeros(v.shape) }));
  }

  /** Steps taken so far. */
  get iterations(): number {
    return this.t;
  }

  /** One update from gradients (by variable name, as tf.variableGrads returns them, or in variable order). */
  applyGradients(grads: tf.NamedTensorMap | readonly tf.Tensor[]): void {
    this.t += 1;
    const bc1 = 1 - Math.pow(this.beta1, this.t);
    const bc2 = 1 - Math.pow(this.beta2, this.t);
    const lr = this.learningRate;
    this.variables.forEach((variable, i) => {
      const g = Array.isArray(grads) ? (grads as readonly tf.Tensor[])[i] : (grads as tf.NamedTensorMap)[variable.name];
      if (g === undefined) throw new Error(`AdamW: no gradient for variable "${variable.name}"`);
      const { m, v } = this.moments[i];
      if (fastAvailable()) {
        const next = runLabKernel("LabAdamStep", { p: variable, g, m, v }, { lr, beta1: this.beta1, beta2: this.beta2, eps: this.epsilon, weightDecay: this.weightDecay, bc1, bc2 }) as tf.Tensor;
        variable.assign(next);
        next.dispose();
        return;
      }
      const [m2, v2, p2] = tf.tidy(() => {
        const mNew = tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1));
        const vNew = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        const denom = tf.add(tf.div(tf.sqrt(vNew), Math.sqrt(bc2)), this.epsilon);
        const p = tf.sub(tf.mul(variable, 1 - lr * this.weightDecay), tf.div(tf.mul(mNew, lr / bc1), denom));
        return [mNew, vNew, p];
      });
      m.dispose();
      v.dispose();
      this.moments[i] = { m: tf.keep(m2), v: tf.keep(v2) };
      variable.assign(p2);
      p2.dispose();
    });
  }

  /**
   * One training step: the loss and its gradients with respect to every variable, then the
   * update. Returns the loss (one read-back per step). Tensors made by `loss` are freed.
   */
  step(loss: () => tf.Scalar): number {
    return tf.tidy(() => {
      const { value, grads } = tf.variableGrads(loss, this.variables as tf.Variable[]);
      this.applyGradients(grads);
      return value.dataSync()[0];
    });
  }

  dispose(): void {
    for (const { m, v } of this.moments) {
      m.dispose();
      v.dispose();
    }
    this.moments = [];
  }
}
