/**
 * Save and load tfjs layers models as a JSON topology plus a weights file,
 * through tfjs's own serialisation and in-memory handlers that work on every
 * backend (the file:// handler exists only in tfjs-node). The default names,
 * model.json and weights.bin, are what tf.loadLayersModel expects in a folder.
 * tfjs is loaded by the functions that need it, so reading file names from here loads nothing.
 */
import type * as tf from '#tfjs';
import type { ArtifactStore } from './store.ts';

/** The two file names of a saved model. */
export interface ModelFileNames<J extends string = string, W extends string = string> {
  json: J;
  weights: W;
}

export const MODEL_FILES = { json: 'model.json', weights: 'weights.bin' } as const;

/** The files of a saved model: its topology (JSON text) and its weights. */
export type SavedModelFiles<J extends string, W extends string> = Record<J, string> & Record<W, Uint8Array>;

/** Serialise a model (topology and weights) to the two files tfjs's loaders expect. */
export async function serialiseModel<J extends string = 'model.json', W extends string = 'weights.bin'>(
  model: tf.LayersModel, names: ModelFileNames<J, W> = MODEL_FILES as ModelFileNames as ModelFileNames<J, W>,
): Promise<SavedModelFiles<J, W>> {
  const tf = await import('#tfjs');
  let files: SavedModelFiles<J, W> | undefined;
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const weightData = tf.io.concatenateArrayBuffers(
      artifacts.weightData === undefined ? [] : Array.isArray(artifacts.weightData) ? artifacts.weightData : [artifacts.weightData],
    );
    const modelJson = {
      modelTopology: artifacts.modelTopology,
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy,
      weightsManifest: [{ paths: [names.weights], weights: artifacts.weightSpecs ?? [] }],
    };
    files = { [names.json]: JSON.stringify(modelJson), [names.weights]: new Uint8Array(weightData) } as SavedModelFiles<J, W>;
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
  }));
  if (!files) throw new Error('tfjs did not call the save handler');
  return files;
}

/** Rebuild a model from the files serialiseModel wrote. */
export async function deserialiseModel(modelJson: string, weights: Uint8Array): Promise<tf.LayersModel> {
  const tf = await import('#tfjs');
  const parsed = JSON.parse(modelJson) as { modelTopology: object; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  return tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: parsed.modelTopology,
    weightSpecs: parsed.weightsManifest[0].weights,
    weightData,
  }));
}

/** Load a model stored in an artifact-store entry. */
export async function readStoredModel(store: ArtifactStore, stage: string, key: string, names: ModelFileNames = MODEL_FILES): Promise<tf.LayersModel> {
  return deserialiseModel(store.read(stage, key, names.json).toString('utf8'), store.read(stage, key, names.weights));
}
