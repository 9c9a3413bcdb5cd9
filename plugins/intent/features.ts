import { textFeatures, type Features } from '../language/features.js'
import { Gazetteer } from '../language/gazetteer.js'
import { CONCEPTS } from './concepts.js'

const CONCEPT_WEIGHT = 1.5

const gazetteer = new Gazetteer(CONCEPTS)

/** Surface features plus the concepts spotted, so synonyms the examples never used still count. */
export const intentFeatures = (text: string): Features =>
  textFeatures(
    text,
    [...gazetteer.find(text)].map((id) => [`k:${id}`, CONCEPT_WEIGHT] as const),
  )
