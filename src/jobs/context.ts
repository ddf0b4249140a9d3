/**
 * What every stage function is given: where artifacts live, the loaded
 * dataset, the backend in use, and where to report progress. The same
 * context is built in the main process and in each worker process.
 */
import type { ArtifactStore } from '../artifacts/store.ts';
import type { Dataset } from '../data/dataset.ts';
import type { EpochLog } from '../report/run-record.ts';

export interface StageContext {
  store: ArtifactStore;
  dataset: Dataset;
  /** tfjs backend name ('tensorflow', 'wasm', 'cpu'), recorded in every result row. */
  backend: string;
  /** Called after every training epoch of a job. */
  onEpoch: (log: EpochLog, totalEpochs: number) => void;
}
