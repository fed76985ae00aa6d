import { median, RoundFigures } from '../../bench/figures';

describe('RoundFigures', () => {
  it('reports the best round of a figure and the median of the ratios paired by round', () => {
    const figures = new RoundFigures();
    // The machine slows down and recovers: plain and encrypted move together, round by round.
    const plain = [1000, 600, 900];
    const encrypted = [780, 500, 720];
    plain.forEach((value, round) => {
      figures.record('plain', value);
      figures.record('encrypted', encrypted[round]);
    });
    expect(figures.best('plain')).toBe(1000);
    expect(figures.best('encrypted')).toBe(780);
    // Per round 0.78, 0.833..., 0.8: the median is 0.8, where best / best would say 0.78.
    expect(figures.pairedRatio('encrypted', 'plain')).toBeCloseTo(0.8, 10);
  });

  it('refuses figures it never recorded, or recorded in different rounds', () => {
    const figures = new RoundFigures();
    figures.record('plain', 1);
    figures.record('plain', 2);
    figures.record('encrypted', 1);
    expect(() => figures.best('other')).toThrow('no figure for other');
    expect(() => figures.pairedRatio('encrypted', 'plain')).toThrow('different rounds');
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow();
  });
});
