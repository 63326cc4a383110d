import React from 'react';

export class Gallery extends React.Component {
  static defaultProps = { perPage: 12 };
  state = { page: 0 };

  render() {
    const { items, perPage } = this.props;
    const start = this.state.page * perPage;
    return (
      <section>
        {items.slice(start, start + perPage).map((item) => <img key={item.id} src={item.url} alt="" />)}
        <button onClick={() => this.setState(({ page }) => ({ page: page + 1 }))}>More</button>
      </section>
    );
  }
}
