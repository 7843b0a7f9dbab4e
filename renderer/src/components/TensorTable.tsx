// Every tensor of a model: a sortable, filterable table whose rows are virtualised (smooth at 10,000+).
import { useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { flexRender, getCoreRowModel, getFilteredRowModel, getSortedRowModel, useReactTable, type ColumnDef, type SortingState } from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import { formatCount } from './format';

export interface TensorRowView { name: string; dtype: string; shape: number[]; elements: number; tiedWith: string | null }

const columns: ColumnDef<TensorRowView>[] = [
  { accessorKey: 'name', header: 'Name', cell: (c) => <span className="font-mono">{c.getValue<string>()}</span> },
  { id: 'shape', accessorFn: (r) => r.shape.join('×') || 'scalar', header: 'Shape', sortingFn: (a, b) => a.original.shape.length - b.original.shape.length || a.original.elements - b.original.elements },
  { accessorKey: 'dtype', header: 'Dtype' },
  { accessorKey: 'elements', header: 'Elements', cell: (c) => formatCount(c.getValue<number>()) },
  { accessorKey: 'tiedWith', header: 'Tied', cell: (c) => (c.getValue<string | null>() ? <span title={`shares storage with ${c.getValue<string>()}`}>🔗 {c.getValue<string>()}</span> : '') },
];

const ROW_HEIGHT = 30;
const GRID = 'grid grid-cols-[minmax(0,3fr)_minmax(0,1.3fr)_70px_110px_minmax(0,1.5fr)]';

export function TensorTable({ rows, selected, onSelect }: { rows: TensorRowView[]; selected: string | null; onSelect: (name: string) => void }) {
  const [sorting, setSorting] = useState<SortingState>([]);
  const [filter, setFilter] = useState('');
  const table = useReactTable({
    data: rows,
    columns,
    state: { sorting, globalFilter: filter },
    onSortingChange: setSorting,
    onGlobalFilterChange: setFilter,
    globalFilterFn: (row, _id, value: string) => row.original.name.toLowerCase().includes(value.toLowerCase()),
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
    getFilteredRowModel: getFilteredRowModel(),
  });
  const tableRows = table.getRowModel().rows;
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({ count: tableRows.length, getScrollElement: () => scrollRef.current, estimateSize: () => ROW_HEIGHT, overscan: 12 });
  const shown = useMemo(() => tableRows.length, [tableRows]);

  // Keyboard: focus the list (Tab), then ↑/↓ pick the previous/next tensor.
  const onKey = (e: KeyboardEvent) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    e.preventDefault();
    const at = tableRows.findIndex((r) => r.original.name === selected);
    const next = Math.min(tableRows.length - 1, Math.max(0, at < 0 ? 0 : at + (e.key === 'ArrowDown' ? 1 : -1)));
    if (tableRows[next]) { onSelect(tableRows[next].original.name); virtualizer.scrollToIndex(next); }
  };

  return (
    <div className="min-w-0 rounded-lg border border-slate-200 bg-white">
      <div className="flex items-center gap-3 border-b border-slate-200 p-2">
        <input value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="Filter tensors by name…" aria-label="Filter tensors" className="flex-1 rounded border border-slate-300 bg-white px-2 py-1 text-sm" />
        <span className="text-sm text-slate-500" data-testid="tensor-count">{formatCount(shown)} of {formatCount(rows.length)} tensors</span>
      </div>
      {/* The table is its own scroll area (focusable: ↑/↓ pick a tensor); the header row stays on top. */}
      <div ref={scrollRef} role="table" aria-label="Tensors" aria-rowcount={shown} tabIndex={0} onKeyDown={onKey} data-testid="tensor-scroll"
        className="h-[26rem] overflow-auto text-sm focus:outline-2 focus:outline-indigo-500">
        <div role="rowgroup" className="sticky top-0 z-10 border-b border-slate-200 bg-slate-50 font-medium">
          {table.getHeaderGroups().map((hg) => (
            <div role="row" key={hg.id} className={`${GRID} px-2`}>
              {hg.headers.map((h) => (
                <button type="button" role="columnheader" key={h.id} onClick={h.column.getToggleSortingHandler()} className="truncate py-1 text-left">
                  {flexRender(h.column.columnDef.header, h.getContext())}
                  {{ asc: ' ▲', desc: ' ▼' }[h.column.getIsSorted() as string] ?? ''}
                </button>
              ))}
            </div>
          ))}
        </div>
        <div role="rowgroup" style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((v) => {
            const row = tableRows[v.index];
            const isSel = row.original.name === selected;
            return (
              <div
                role="row"
                key={row.id}
                aria-selected={isSel}
                onClick={() => onSelect(row.original.name)}
                className={`${GRID} absolute left-0 w-full cursor-pointer items-center px-2 ${isSel ? 'bg-indigo-50' : v.index % 2 ? 'bg-slate-50/50' : ''} hover:bg-indigo-50/60`}
                style={{ height: ROW_HEIGHT, transform: `translateY(${v.start}px)` }}
              >
                {row.getVisibleCells().map((c) => (
                  <div role="cell" key={c.id} className="truncate pr-2">{flexRender(c.column.columnDef.cell, c.getContext())}</div>
                ))}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
