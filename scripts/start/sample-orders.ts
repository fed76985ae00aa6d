import { createHash } from 'node:crypto';
import { seededRandom } from '../seeded-random';

/**
 * Realistic sample orders for `npm start`: customers with contact details and addresses, a card
 * fingerprint, nested line items. Deterministic (seeded), so every run shows the same data.
 */

export interface SampleOrder {
  readonly customerId: string;
  readonly orderId: string;
  readonly status: 'PLACED' | 'PAID' | 'SHIPPED' | 'DELIVERED';
  readonly createdAt: string;
  readonly customer: { readonly name: string; readonly email: string; readonly phone: string };
  readonly shippingAddress: { readonly street: string; readonly city: string; readonly postcode: string; readonly country: string };
  readonly cardFingerprint: string;
  readonly lineItems: ReadonlyArray<{ readonly sku: string; readonly description: string; readonly quantity: number; readonly unitPrice: number }>;
  readonly total: number;
  readonly giftMessage?: string;
}

const FIRST_NAMES = ['Ada', 'Grace', 'Alan', 'Katherine', 'Linus', 'Margaret', 'Dennis', 'Barbara', 'Ken', 'Frances', 'Edsger', 'Radia'];
const LAST_NAMES = ['Lovelace', 'Hopper', 'Turing', 'Johnson', 'Torvalds', 'Hamilton', 'Ritchie', 'Liskov', 'Thompson', 'Allen', 'Dijkstra', 'Perlman'];
const CITIES: ReadonlyArray<[string, string, string]> = [
  ['Seattle', '98109', 'US'],
  ['Dublin', 'D02 F205', 'IE'],
  ['Berlin', '10117', 'DE'],
  ['Tokyo', '100-0005', 'JP'],
  ['Sydney', '2000', 'AU'],
  ['Toronto', 'M5V 2T6', 'CA'],
];
const STREETS = ['Pine Street', 'Harbour Road', 'Linden Avenue', 'Station Square', 'Market Lane', 'Riverside Drive'];
const PRODUCTS: ReadonlyArray<[string, string, number]> = [
  ['BK-1001', 'Hardcover notebook', 12.5],
  ['PN-2002', 'Fountain pen', 34.99],
  ['MG-3003', 'Ceramic mug', 9.75],
  ['KB-4004', 'Mechanical keyboard', 129],
  ['HD-5005', 'Noise-cancelling headphones', 249.9],
  ['LP-6006', 'Desk lamp', 45.2],
  ['CB-7007', 'USB-C cable, 2 m', 7.99],
];
const STATUSES: ReadonlyArray<SampleOrder['status']> = ['PLACED', 'PAID', 'SHIPPED', 'DELIVERED'];

export function sampleOrders(count: number, seed = 20261203): SampleOrder[] {
  const random = seededRandom(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
  const customers = Math.max(1, Math.floor(count / 4));
  const start = Date.UTC(2026, 0, 1);
  return Array.from({ length: count }, (_, index) => {
    const customer = Math.floor(random() * customers);
    const first = FIRST_NAMES[customer % FIRST_NAMES.length];
    const last = LAST_NAMES[Math.floor(customer / FIRST_NAMES.length) % LAST_NAMES.length];
    const [city, postcode, country] = CITIES[customer % CITIES.length];
    const lineItems = Array.from({ length: 1 + Math.floor(random() * 4) }, () => {
      const [sku, description, unitPrice] = pick(PRODUCTS);
      return { sku, description, quantity: 1 + Math.floor(random() * 3), unitPrice };
    });
    const total = Math.round(lineItems.reduce((sum, line) => sum + line.quantity * line.unitPrice, 0) * 100) / 100;
    // A fingerprint, as a payment processor would hand back: never the card number itself.
    const cardFingerprint = createHash('sha256').update(`4000-0000-0000-${String(customer).padStart(4, '0')}`).digest('hex');
    return {
      customerId: `customer-${String(customer).padStart(5, '0')}`,
      orderId: `order-${String(index).padStart(6, '0')}`,
      status: pick(STATUSES),
      createdAt: new Date(start + Math.floor(random() * 300 * 86_400_000)).toISOString(),
      customer: {
        name: `${first} ${last}`,
        email: `${first}.${last}${customer}@example.com`.toLowerCase(),
        phone: `+1-555-${String(1000 + (customer % 9000)).padStart(4, '0')}`,
      },
      shippingAddress: { street: `${1 + (customer % 220)} ${pick(STREETS)}`, city, postcode, country },
      cardFingerprint,
      lineItems,
      total,
      ...(random() < 0.2 ? { giftMessage: `Happy birthday, ${first}!` } : {}),
    };
  });
}
