/* A jQuery-era widget kept for the old admin pages. */
;(function ($, window, undefined) {
  'use strict';
  var defaults = { delay: 300, minLength: 2 };

  function Autocomplete(element, options) {
    this.$el = $(element);
    this.options = $.extend({}, defaults, options);
    this.timer = null;
    this.init();
  }

  Autocomplete.prototype.init = function () {
    var self = this;
    this.$el.on('keyup.autocomplete', function () {
      clearTimeout(self.timer);
      self.timer = setTimeout(function () {
        var value = self.$el.val();
        if (value.length >= self.options.minLength) self.search(value);
      }, self.options.delay);
    });
  };

  Autocomplete.prototype.search = function (term) {
    return $.getJSON('/api/media', { prefix: term }).then(function (data) {
      return data.items.slice(0, 10);
    }, function (xhr) {
      if (xhr.status === 503 || xhr.responseText.indexOf('timeout') !== -1) {
        window.console && console.warn('search is busy, try again');
      }
    });
  };

  $.fn.autocomplete = function (options) {
    return this.each(function () {
      if (!$.data(this, 'autocomplete')) $.data(this, 'autocomplete', new Autocomplete(this, options));
    });
  };
})(jQuery, window);
