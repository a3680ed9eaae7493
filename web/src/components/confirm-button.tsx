import { useEffect, useState } from 'react';

/**
 * A button that asks once more before doing something hard to undo (lifting a
 * ban): the first press turns it into "Confirm …" for a few seconds.
 */
export function ConfirmButton({
  label,
  confirmLabel,
  onConfirm,
  describedBy,
  className = 'btn',
}: {
  label: string;
  confirmLabel: string;
  onConfirm: () => Promise<void>;
  describedBy?: string;
  className?: string;
}) {
  const [armed, setArmed] = useState(false);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!armed) return;
    const t = setTimeout(() => setArmed(false), 5000);
    return () => clearTimeout(t);
  }, [armed]);
  return (
    <button
      type="button"
      className={`${className} ${armed ? 'btn-danger' : ''}`}
      aria-describedby={describedBy}
      disabled={busy}
      onClick={() => {
        if (!armed) return setArmed(true);
        setBusy(true);
        void onConfirm().finally(() => {
          setBusy(false);
          setArmed(false);
        });
      }}
    >
      {armed ? confirmLabel : label}
    </button>
  );
}
