import { LocalKey } from '../../src/crypto/local-key';
import { RawDecryptionMaterials, RawEncryptionMaterials } from '../../src/materials/raw-materials';
import { StaticMaterialsProvider } from '../../src/providers/static-provider';

/** A static provider over freshly generated AES-256 and HmacSHA256 keys. */
export function freshStaticProvider(): StaticMaterialsProvider {
  const encryptionKey = LocalKey.generateAes(256);
  const signingKey = LocalKey.generateHmac('HmacSHA256', 32);
  return new StaticMaterialsProvider({
    encryptionMaterials: new RawEncryptionMaterials({ signingKey, encryptionKey }),
    decryptionMaterials: new RawDecryptionMaterials({ verificationKey: signingKey, decryptionKey: encryptionKey }),
  });
}
