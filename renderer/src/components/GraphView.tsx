// An ONNX model's graph: layers and what feeds what, laid out top-down by depth.
import { nodeLabel } from './layer-names';
import { useMemo } from 'react';
import { Background, Controls, ReactFlow, type Edge, type Node } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import type { LoadedModel } from '../../../main/engine/api';
import { useTheme } from '../theme';

type Graph = NonNullable<LoadedModel['inspection']['graph']>;

export function layoutGraph(graph: Graph): { nodes: Node[]; edges: Edge[] } {
  const producer = new Map<string, string>();
  const ids = graph.nodes.map((n, i) => `n${i}`);
  graph.inputs.forEach((v) => producer.set(v.name, `in:${v.name}`));
  graph.nodes.forEach((n, i) => n.outputs.forEach((o) => producer.set(o, ids[i])));
  const depth = new Map<string, number>();
  graph.inputs.forEach((v) => depth.set(`in:${v.name}`, 0));
  // ONNX nodes are topologically sorted, so one pass gives each node its longest distance from an input.
  graph.nodes.forEach((n, i) => {
    let d = 0;
    for (const input of n.inputs) {
      const p = producer.get(input);
      if (p !== undefined) d = Math.max(d, (depth.get(p) ?? 0) + 1);
    }
    depth.set(ids[i], d);
  });
  const perLayer = new Map<number, number>();
  const place = (id: string) => {
    const d = depth.get(id) ?? 0;
    const k = perLayer.get(d) ?? 0;
    perLayer.set(d, k + 1);
    return { x: k * 190, y: d * 80 };
  };
  const nodes: Node[] = [
    ...graph.inputs.map((v) => ({ id: `in:${v.name}`, position: place(`in:${v.name}`), data: { label: `input ${v.name}` }, type: 'input', className: 'graph-input-node' })),
    ...graph.nodes.map((n, i) => ({ id: ids[i], position: place(ids[i]), data: { label: nodeLabel(n.name, n.opType) || n.opType } })),
  ];
  const edges: Edge[] = [];
  graph.nodes.forEach((n, i) => {
    for (const input of n.inputs) {
      const p = producer.get(input);
      if (p) edges.push({ id: `${p}->${ids[i]}:${input}`, source: p, target: ids[i] });
    }
  });
  return { nodes, edges };
}

export function GraphView({ graph }: { graph: Graph }) {
  const { nodes, edges } = useMemo(() => layoutGraph(graph), [graph]);
  const theme = useTheme((s) => s.resolved);
  return (
    <div className="graph-view h-[32rem] rounded-lg border border-slate-200 bg-white" data-testid="graph-view" aria-label="Model graph">
      <ReactFlow colorMode={theme} nodes={nodes} edges={edges} fitView onlyRenderVisibleElements nodesDraggable={false} proOptions={{ hideAttribution: true }}>
        <Background />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
