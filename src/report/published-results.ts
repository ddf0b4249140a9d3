/**
 * Published semi-supervised results on full MNIST (test error %, 60,000
 * training images), to set a run's numbers beside the literature when the
 * run is comparable: full MNIST and the same label counts.
 */
import { recordedArmSettings, type DatasetInfo } from './run-record.ts';
import type { Summary } from './summary.ts';

export interface Citation {
  key: string;
  text: string;
  url: string;
}

export const CITATIONS: Citation[] = [
  {
    key: 'kingma2014',
    text: 'Kingma, Rezende, Mohamed & Welling (2014), "Semi-supervised Learning with Deep Generative Models", NeurIPS, Table 1',
    url: 'https://arxiv.org/abs/1406.5298',
  },
  {
    key: 'rasmus2015',
    text: 'Rasmus, Valpola, Honkala, Berglund & Raiko (2015), "Semi-Supervised Learning with Ladder Networks", NeurIPS, Table 1',
    url: 'https://arxiv.org/abs/1507.02672',
  },
  {
    key: 'lee2013',
    text: 'Lee (2013), "Pseudo-Label: The Simple and Efficient Semi-Supervised Learning Method for Deep Neural Networks", ICML Workshop on Challenges in Representation Learning, Table 2',
    url: 'http://deeplearning.net/wp-content/uploads/2013/03/pseudo_label_final.pdf',
  },
];

export interface PublishedMethod {
  name: string;
  /** What it is, in a few words, and how it relates to this pipeline. */
  note: string;
  citation: string;
  /** Test error % by number of labels. */
  errors: Partial<Record<number, number>>;
}

/** Kingma et al. 2014 Table 1, Rasmus et al. 2015 Table 1 and Lee 2013 Table 2 (permutation-invariant MNIST unless noted). */
export const PUBLISHED_MNIST: PublishedMethod[] = [
  { name: 'NN', note: 'supervised net, labels only — closest to the baseline arm', citation: 'kingma2014', errors: { 100: 25.8, 600: 11.44, 1000: 10.7, 3000: 6.04 } },
  { name: 'CNN', note: 'convolutional net, labels only', citation: 'kingma2014', errors: { 100: 22.98, 600: 7.68, 1000: 6.45, 3000: 3.35 } },
  { name: 'TSVM', note: 'transductive SVM', citation: 'kingma2014', errors: { 100: 16.81, 600: 6.16, 1000: 5.38, 3000: 3.45 } },
  { name: 'CAE', note: 'contractive autoencoder pretraining — closest to the pretrained arm', citation: 'kingma2014', errors: { 100: 13.47, 600: 6.3, 1000: 4.77, 3000: 3.22 } },
  { name: 'MTC', note: 'manifold tangent classifier', citation: 'kingma2014', errors: { 100: 12.03, 600: 5.13, 1000: 3.64, 3000: 2.57 } },
  { name: 'AtlasRBF', note: '', citation: 'kingma2014', errors: { 100: 8.1, 1000: 3.68 } },
  { name: 'M1+TSVM', note: 'VAE latents + TSVM', citation: 'kingma2014', errors: { 100: 11.82, 600: 5.72, 1000: 4.24, 3000: 3.49 } },
  { name: 'M2', note: 'semi-supervised VAE', citation: 'kingma2014', errors: { 100: 11.97, 600: 4.94, 1000: 3.6, 3000: 3.92 } },
  { name: 'M1+M2', note: 'stacked VAEs', citation: 'kingma2014', errors: { 100: 3.33, 600: 2.59, 1000: 2.4, 3000: 2.18 } },
  { name: 'Ladder', note: 'ladder network', citation: 'rasmus2015', errors: { 100: 1.06, 1000: 0.84 } },
  { name: 'Pseudo-label + DAE', note: 'self-training from a denoising-autoencoder init — closest to the pseudo-label arm', citation: 'lee2013', errors: { 100: 10.49, 1000: 3.46 } },
];

/** Label counts the published tables report. */
export const PUBLISHED_LABEL_COUNTS = [100, 600, 1000, 3000];

/**
 * datasetFingerprint of full MNIST (60,000 + 10,000 images with the official split), however it was
 * loaded (--dataset mnist or an IDX folder, .gz or not). Sizes alone would also match Fashion-MNIST and KMNIST.
 */
export const FULL_MNIST_FINGERPRINT = '74cb0a5734a3a78b';

/** True for full MNIST, the only setting the published numbers apply to. */
export function isFullMnist(dataset: Pick<DatasetInfo, 'fingerprint'>): boolean {
  return dataset.fingerprint === FULL_MNIST_FINGERPRINT;
}

export interface PublishedComparison {
  /** The run's label counts that also appear in the published tables. */
  labelCounts: number[];
  /** This run's test error % per arm and label count (mean over seeds). */
  ours: { arm: string; errors: Record<number, number> }[];
  methods: PublishedMethod[];
  citations: Citation[];
}

/** Least seeds for a mean worth setting beside a published number. */
const PUBLISHED_MIN_SEEDS = 3;

/**
 * Why a full-MNIST run's numbers may not stand beside the published ones, or undefined when they may:
 * those papers used the permutation-invariant task (no convolutions, no augmentation that knows pixels
 * are neighbours) and a fixed number of labels per class, and report means over several runs.
 */
export function publishedProtocolMismatch(summary: Summary, config: Record<string, unknown>): string | undefined {
  const reasons: string[] = [];
  const ownShift = recordedArmSettings(config).find((entry) => typeof entry.settings?.augmentShift === 'number' && entry.settings.augmentShift > 0);
  if (typeof config.augmentShift === 'number' && config.augmentShift > 0) reasons.push(`--augment-shift ${config.augmentShift} uses image structure`);
  else if (ownShift) reasons.push(`${ownShift.arm}'s own augmentShift uses image structure`);
  if (config.encoder === 'conv') reasons.push('the conv encoder uses image structure');
  const perClass = Array.isArray(config.labelsPerClass) ? config.labelsPerClass : [];
  if (perClass.length === 0) reasons.push('the labels are fractions of the pool, not a fixed number per class (use --labels-per-class 10,60,100,300)');
  if (summary.seeds.length < PUBLISHED_MIN_SEEDS) reasons.push(`${summary.seeds.length} seed${summary.seeds.length === 1 ? '' : 's'} (give at least ${PUBLISHED_MIN_SEEDS})`);
  return reasons.length > 0 ? `Published results on full MNIST are not shown beside this run: ${reasons.join('; ')}, while those results are for the permutation-invariant task with a fixed number of labels per class, averaged over runs.` : undefined;
}

/** The run's errors beside the published ones at shared label counts; undefined when the run is not comparable (check publishedProtocolMismatch first). */
export function publishedComparison(summary: Summary, dataset: Pick<DatasetInfo, 'fingerprint'>): PublishedComparison | undefined {
  if (!isFullMnist(dataset)) return undefined;
  const shared = summary.fractions.filter((f) => PUBLISHED_LABEL_COUNTS.includes(Math.round(f.labeled)));
  if (shared.length === 0) return undefined;
  const labelCounts = shared.map((f) => Math.round(f.labeled));
  const ours: PublishedComparison['ours'] = [];
  if (shared.some((f) => f.hasBaseline)) {
    ours.push({ arm: 'baseline', errors: Object.fromEntries(shared.map((f) => [Math.round(f.labeled), 100 - f.baselineMean])) });
  }
  for (const arm of summary.arms) {
    ours.push({
      arm,
      errors: Object.fromEntries(shared.map((f) => [Math.round(f.labeled), 100 - (f.comparisons.find((c) => c.arm === arm)?.armMean ?? NaN)])),
    });
  }
  return { labelCounts, ours, methods: PUBLISHED_MNIST, citations: CITATIONS };
}
