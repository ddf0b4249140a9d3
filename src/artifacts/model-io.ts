/**
 * Save and load tfjs layers models as model.json + weights.bin through tfjs's
 * own serialisation, via in-memory handlers that work on every backend (the
 * file:// handler exists only in tfjs-node).
 */
import * as tf from '@tensorflow/tfjs';

export interface SavedModelFiles {
  'model.json': string;
  'weights.bin': Uint8Array;
}

/** Serialise a model (topology and weights) to the two files tfjs's loaders expect. */
export async function serialiseModel(model: tf.LayersModel): Promise<SavedModelFiles> {
  let files: SavedModelFiles | undefined;
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const weightData = tf.io.concatenateArrayBuffers(
      artifacts.weightData === undefined ? [] : Array.isArray(artifacts.weightData) ? artifacts.weightData : [artifacts.weightData],
    );
    const modelJson = {
      modelTopology: artifacts.modelTopology,
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy,
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
    };
    files = { 'model.json': JSON.stringify(modelJson), 'weights.bin': new Uint8Array(weightData) };
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
  }));
  if (!files) throw new Error('tfjs did not call the save handler');
  return files;
}

/** Rebuild a model from the files serialiseModel wrote. */
export async function deserialiseModel(modelJson: string, weights: Uint8Array): Promise<tf.LayersModel> {
  const parsed = JSON.parse(modelJson) as { modelTopology: object; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  return tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: parsed.modelTopology,
    weightSpecs: parsed.weightsManifest[0].weights,
    weightData,
  }));
}
