export { readVectorJson as readVectorFile } from '../support/shared-vectors';

export interface AttributeVector {
  attribute: unknown;
  serialized: string;
}

export interface MaterialDescriptionVector {
  material_description: Record<string, string>;
  serialized: string;
}
