// The PyTorch format: torch.save files read through our own restricted unpickler, written back as
// torch.save zips. How the pieces fit:
//   reader.ts          FormatReader: sniff, open, errors -> ModelFileError, the ModelSource
//   open-zip.ts        zip layout (<folder>/data.pkl + data/<key>)   zip.ts: the zip reader itself
//   open-legacy.ts     pre-1.6 layout (five pickles, then raw storages)
//   unpickle.ts        the restricted unpickler; allowed-globals.ts is its allowlist (the only place a
//                      global becomes acceptable), pickle-scan.ts names the culprit of a refusal
//   state-dict.ts      checkpoint unwrapping, `module.` stripping, tied groups
//   tensor-view.ts     offset/stride views -> contiguous bytes
//   writer.ts          FormatWriter (pickle-write.ts + zip-write.ts)
export { pytorchReader, openPytorch } from './reader';
export { pytorchWriter, beginPytorchWrite } from './writer';
