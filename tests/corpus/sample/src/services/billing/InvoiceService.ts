import type { Prisma } from '@prisma/client';
import { prisma } from '../../lib/db/client';
import { withBackoff } from '../../lib/db/backoff';

type InvoiceWithLines = Prisma.InvoiceGetPayload<{ include: { lines: true } }>;

export enum InvoiceStatus {
  Draft = 'DRAFT',
  Open = 'OPEN',
  Paid = 'PAID',
  Void = 'VOID',
}

export class InvoiceService {
  /** How many invoices one page of the list shows. */
  static readonly pageSize = 50;
  private readonly history: string[] = [];

  constructor(private readonly clock: () => Date = () => new Date()) {}

  async finalize(invoiceId: string): Promise<InvoiceWithLines> {
    const invoice = await withBackoff(() =>
      prisma.$transaction(
        async (tx) => {
          const lines = await tx.invoiceLine.findMany({ where: { invoiceId } });
          const total = lines.reduce((sum, line) => sum + line.amountCents * line.quantity, 0);
          return tx.invoice.update({
            where: { id: invoiceId },
            data: { status: InvoiceStatus.Open, totalCents: total, finalizedAt: this.clock() },
            include: { lines: true },
          });
        },
        { isolationLevel: 'Serializable', timeout: 10000 },
      ),
    );
    this.history.push(invoice.id);
    return invoice;
  }

  recent(): readonly string[] {
    return this.history.slice(-100);
  }

  async search(term: string, page = 0) {
    return prisma.invoice.findMany({
      where: { customerName: { contains: term, mode: 'insensitive' } },
      orderBy: { createdAt: 'desc' },
      skip: page * InvoiceService.pageSize,
      take: InvoiceService.pageSize,
    });
  }
}
