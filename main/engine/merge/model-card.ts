// The README.md model card of a merged model folder, as mergekit writes one beside its merges (card.py): front
// matter naming the Hugging Face models merged, the method, the models, and the recipe that made it (and the
// mergekit config it exports to, when it exports exactly).
import { stringify } from 'yaml';

export interface CardInput {
  /** The folder's name. */
  name: string;
  methodLabel: string;
  /** The base, where the method merges on one (task vectors). */
  base?: string;
  models: string[];
  /** Hugging Face repo ids among the models and the base (the card's base_model list, for the Hub). */
  hfIds: string[];
  recipeYaml: string;
  mergekitYaml?: string;
}

const fence = (lang: string, text: string) => `\`\`\`${lang}\n${text.trimEnd()}\n\`\`\``;

export function modelCard(c: CardInput): string {
  const front = stringify({ base_model: c.hfIds, library_name: 'transformers', tags: ['merge', 'merge-studio'] }).trimEnd();
  return [
    '---', front, '---',
    `# ${c.name}`,
    '',
    `A merge of pre-trained models, made with Merge Studio by ${c.methodLabel}${c.base ? ` on the base ${c.base}` : ''}.`,
    '',
    '## Models merged',
    '',
    ...c.models.map((m) => `- ${m}`),
    '',
    '## Recipe',
    '',
    'The Merge Studio recipe that produced this model (`merge-studio merge RECIPE.yaml`):',
    '',
    fence('yaml', c.recipeYaml),
    ...(c.mergekitYaml ? ['', '## mergekit configuration', '', 'The same merge as a mergekit config (also in mergekit_config.yml):', '', fence('yaml', c.mergekitYaml)] : []),
    '',
  ].join('\n');
}
