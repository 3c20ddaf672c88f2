/**
 * The small convolutional network that notebook 07 sets against the ViT: two 3×3 convolutions
 * (each followed by relu and 2×2 max pooling) and a linear classifier.
 *
 *   (B, 28, 28, 1) → conv 3×3, c1 → relu → pool → (B, 14, 14, c1) → conv 3×3, c2 → relu → pool
 *   → (B, 7, 7, c2) → flatten → (B, classes) logits
 *
 * How it trains on wasm, honestly: tfjs-wasm runs tf.conv2d (through XNNPACK) but has no kernel
 * for its gradient with respect to the filter (Conv2DBackpropFilter), so a network built on plain
 * tf.conv2d cannot be trained there. The convolutions here are fast.conv2d, which supplies that
 * gradient itself: the filter gradient and the input gradient of a stride-1 convolution are
 * themselves forward convolutions (of the input with the output gradient, and of the output
 * gradient with the filter turned by 180°). The numbers are those of tf.conv2d (the agreement
 * tests compare values and gradients with the cpu backend's own tf.conv2d gradients).
 *
 * The filters are stored in tf.conv2d's layout, [k, k, C, out].
 */
import * as tf from "@tensorflow/tfjs";
import { fmtShape, LabInputError } from "../checks";
import * as fast from "../fast/ops";
import { zerosVar } from "../train";
import { NamedVariable, namedVariables, SeedSequence, variablesOf } from "./params";

export interface CnnConfig {
  imageSize: number;
  channels: number;
  /** Odd kernel size k of both convolutions. */
  kernel: number;
  /** Output channels of the first and second convolution. */
  conv1: number;
  conv2: number;
  numClasses: number;
}

export interface ConvParams {
  /** [k, k, C_in, C_out], tf.conv2d's filter layout. */
  w: tf.Variable;
  /** [C_out] */
  b: tf.Variable;
}

export interface CnnParams {
  config: CnnConfig;
  conv1: ConvParams;
  conv2: ConvParams;
  /** logits = flatten(features)·w + b, w [(S/4)·(S/4)·c2, classes]. */
  head: { w: tf.Variable; b: tf.Variable };
}

/** The baseline of notebook 07: 3×3 convolutions with 16 and 32 channels (≈21k parameters). */
export const CNN_MNIST_CONFIG: CnnConfig = { imageSize: 28, channels: 1, kernel: 3, conv1: 16, conv2: 32, numClasses: 10 };

/** He-normal filters (std √(2 / fan-in), suited to relu), zero biases; the head Glorot-normal. */
export function createCnn(config: CnnConfig, seed: number): CnnParams {
  const { imageSize: s, channels, kernel: k, conv1, conv2, numClasses } = config;
  if (s % 4 !== 0) throw new LabInputError(`createCnn: imageSize = ${s} must be divisible by 4 (two 2×2 poolings)`);
  if (k % 2 !== 1) throw new LabInputError(`createCnn: kernel = ${k} must be odd ("same" padding)`);
  const seeds = new SeedSequence(seed);
  const normal = (shape: number[], std: number) => tf.tidy(() => tf.variable(tf.randomNormal(shape, 0, std, "float32", seeds.take())));
  const flat = (s / 4) * (s / 4) * conv2;
  return {
    config,
    conv1: { w: normal([k, k, channels, conv1], Math.sqrt(2 / (k * k * channels))), b: zerosVar([conv1]) },
    conv2: { w: normal([k, k, conv1, conv2], Math.sqrt(2 / (k * k * conv1))), b: zerosVar([conv2]) },
    head: { w: normal([flat, numClasses], Math.sqrt(2 / (flat + numClasses))), b: zerosVar([numClasses]) },
  };
}

export function cnnVariables(params: CnnParams): tf.Variable[] {
  return variablesOf([params.conv1, params.conv2, params.head]);
}

export function namedCnnVariables(params: CnnParams): NamedVariable[] {
  return namedVariables({ conv1: params.conv1, conv2: params.conv2, head: params.head });
}

export function disposeCnn(params: CnnParams): void {
  tf.dispose(cnnVariables(params));
}

/** Logits [B, classes] for images [B, S, S, C]. */
export function cnnForward(params: CnnParams, images: tf.Tensor): tf.Tensor {
  const { imageSize: s, channels } = params.config;
  if (!(images instanceof tf.Tensor) || images.dtype !== "float32" || fmtShape(images.shape.slice(1)) !== fmtShape([s, s, channels])) {
    const got = images instanceof tf.Tensor ? `${images.dtype} ${fmtShape(images.shape)}` : typeof images;
    throw new LabInputError(`cnnForward: images must be float32 [B, ${s}, ${s}, ${channels}] for this model, got ${got}`);
  }
  return tf.tidy(() => {
    const a = tf.maxPool(tf.relu(fast.conv2d(images, params.conv1.w, params.conv1.b)) as tf.Tensor4D, 2, 2, "valid"); // [B, S/2, S/2, c1]
    const f = tf.maxPool(tf.relu(fast.conv2d(a, params.conv2.w, params.conv2.b)) as tf.Tensor4D, 2, 2, "valid"); // [B, S/4, S/4, c2]
    return fast.linear(tf.reshape(f, [images.shape[0], -1]), params.head.w, params.head.b);
  });
}
