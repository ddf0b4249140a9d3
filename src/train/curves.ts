/**
 * What training reports as it goes: one log entry per epoch (or per block of
 * steps for loops that count steps), and a model's whole curve. Training
 * produces these; progress bars, workers and the report only read them.
 */

export interface EpochLog {
  epoch: number;
  loss: number;
  /** Training accuracy of a classifier over the epoch's batches. */
  accuracy?: number;
  /** Accuracy on the validation examples after the epoch (when a validation split exists). */
  valAccuracy?: number;
}

export interface TrainingCurve {
  seed: number;
  /** 'autoencoder' for pretraining (loss = reconstruction loss), else the classifier arm. */
  model: string;
  /** Labeled fraction; absent for the autoencoder, which does not depend on it. */
  fraction?: number;
  epochs: EpochLog[];
}
