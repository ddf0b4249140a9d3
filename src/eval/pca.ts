/**
 * Principal component analysis for the latent map (and the pca arm): the top-k
 * eigenvectors of the covariance, found by subspace iteration with tfjs
 * matrix products (orthonormalised through the k × k Gram matrix, since
 * tfjs's QR is slow), then a small k × k eigen-decomposition (ml-matrix) to
 * order and rotate them. A full 784 × 784 decomposition in JavaScript takes
 * seconds; this takes milliseconds.
 */
import * as tf from '#tfjs';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { createRng } from '../util/rng.ts';

export interface PcaModel {
  /** Feature means (length d). */
  mean: Float32Array;
  /** d × k projection, row-major: column j is the j-th principal direction. */
  components: Float32Array;
  features: number;
  k: number;
  /** Share of total variance explained by each component. */
  explained: number[];
}

/** Fit PCA with k components to rows of x (n × d). Deterministic for a given seed. */
export function fitPca(x: Float32Array, features: number, k: number, seed = 1, iterations = 40): PcaModel {
  const n = x.length / features;
  const rng = createRng(seed);
  return tf.tidy(() => {
    const data = tf.tensor2d(x, [n, features]);
    const mean = data.mean(0);
    const centred = data.sub(mean);
    const covariance = tf.matMul(centred, centred, true, false).div(Math.max(1, n - 1)) as tf.Tensor2D;
    const totalVariance = covariance.mul(tf.eye(features)).sum().dataSync()[0];
    let basis = tf.tensor2d(Float32Array.from({ length: features * k }, () => rng.next() - 0.5), [features, k]);
    for (let i = 0; i < iterations; i++) basis = orthonormalise(tf.matMul(covariance, basis));
    // Rayleigh–Ritz: the exact eigenvectors of the covariance restricted to the subspace.
    const small = tf.matMul(tf.matMul(basis, covariance, true, false), basis).arraySync() as number[][];
    const eig = new EigenvalueDecomposition(new Matrix(small), { assumeSymmetric: true });
    const order = eig.realEigenvalues.map((value, index) => ({ value, index })).sort((a, b) => b.value - a.value);
    const rotation = tf.tensor2d(order.flatMap(({ index }) => eig.eigenvectorMatrix.getColumn(index)), [k, k]).transpose();
    const components = tf.matMul(basis, rotation);
    return {
      mean: mean.dataSync() as Float32Array,
      components: components.dataSync() as Float32Array,
      features,
      k,
      explained: order.map(({ value }) => (totalVariance > 0 ? value / totalVariance : 0)),
    };
  });
}

/** Q = B (BᵀB)^(-1/2): orthonormal columns spanning the same space as B's. */
function orthonormalise(b: tf.Tensor2D): tf.Tensor2D {
  const k = b.shape[1];
  const gram = new EigenvalueDecomposition(new Matrix(tf.matMul(b, b, true, false).arraySync() as number[][]), { assumeSymmetric: true });
  const v = gram.eigenvectorMatrix;
  const inverseRoot = v.mmul(Matrix.diag(gram.realEigenvalues.map((l) => 1 / Math.sqrt(Math.max(l, 1e-12))))).mmul(v.transpose());
  return tf.matMul(b, tf.tensor2d(inverseRoot.to2DArray().flat(), [k, k]));
}

/** Project rows of x onto the model's k components (n × k, row-major). */
export function projectPca(model: PcaModel, x: Float32Array): Float32Array {
  const n = x.length / model.features;
  return tf.tidy(() => {
    const centred = tf.tensor2d(x, [n, model.features]).sub(tf.tensor1d(model.mean));
    return tf.matMul(centred, tf.tensor2d(model.components, [model.features, model.k])).dataSync() as Float32Array;
  });
}
